import { eq } from 'drizzle-orm';
import type { Db } from '../db';
import { evaluationRound } from '../db/schema';
import * as jobs from '../jobs/queue';
import { FieldError, NotFoundError } from '../errors';
import { samplingProgress, SAMPLING_JOB, type SamplingProgress } from './jobs';
import { samplingSpecSchema } from './spec';

export type SamplingJobStatus = {
	id: string;
	status: string;
	cancelRequested: boolean;
	error: string | null;
	createdAt: string;
	finishedAt: string | null;
	spec: Record<string, unknown>;
	progress: SamplingProgress;
	/** The evaluation round this job samples, if it is a round's job. */
	evaluationRound: { id: string; number: number; closed: boolean } | null;
};

/** What the job page shows and polls. */
export async function samplingJobStatus(db: Db, id: string): Promise<SamplingJobStatus> {
	const found = /^[0-9a-f-]{36}$/i.test(id) ? await jobs.getJob(db, id) : undefined;
	if (!found || found.kind !== SAMPLING_JOB) throw new NotFoundError('No such sampling job.');
	return {
		id: found.id,
		status: found.status,
		cancelRequested: found.cancelRequestedAt !== null,
		error: found.lastError,
		createdAt: found.createdAt.toISOString(),
		finishedAt: found.finishedAt?.toISOString() ?? null,
		spec: found.payload,
		progress: await samplingProgress(db, found.id),
		evaluationRound: await roundOf(db, found.payload)
	};
}

async function roundOf(db: Db, payload: unknown): Promise<SamplingJobStatus['evaluationRound']> {
	const spec = samplingSpecSchema.safeParse(payload);
	const roundId = spec.success ? spec.data.evaluation?.roundId : undefined;
	if (!roundId) return null;
	const [round] = await db.select({ id: evaluationRound.id, number: evaluationRound.number, closedAt: evaluationRound.closedAt }).from(evaluationRound).where(eq(evaluationRound.id, roundId));
	return round ? { id: round.id, number: round.number, closed: round.closedAt !== null } : null;
}

/** A closed round makes no new pairs, so its job stays stopped. */
export function assertRoundOpen(status: SamplingJobStatus): void {
	if (status.evaluationRound?.closed) throw new FieldError('job', `Evaluation round ${status.evaluationRound.number} is closed: its sampling job stays stopped.`);
}
