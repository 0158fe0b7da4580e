import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db';
import { evaluationRound, modelVersion } from '../db/schema';
import type { JobContext, JobHandler, JobOutcome } from '../jobs/runner';
import { log } from '../log';
import { makeCurrent } from '../models/registry';
import { verdictFor } from './results';
import { readEvaluationSettings } from './settings';

/**
 * The `evaluation.watch` job, one per round (watch-key.ts): it looks at the
 * round every few seconds without holding a worker (a `later` outcome, as the
 * training chain follows a run) and, when the persona's `autoPromote` is on and
 * the verdict on the round's candidate is "better", makes the candidate current
 * with the verdict in the audit event (actor: the platform). It ends then, or
 * when the round is closed, or when its candidate is no longer a candidate (an
 * admin promoted or retired it). While votes keep arriving it looks every
 * `pollMs`; while nothing changes the wait doubles, up to `maxPollMs`.
 */

export type WatchOptions = { pollMs?: number; maxPollMs?: number };

const payloadSchema = z.object({ roundId: z.uuid() });

const POLL_MS = 5_000;
const MAX_POLL_MS = 60_000;

export function watchJobHandler(options: WatchOptions = {}): JobHandler {
	const poll = options.pollMs ?? POLL_MS;
	const maxPoll = options.maxPollMs ?? MAX_POLL_MS;
	return async ({ db, job }: JobContext): Promise<JobOutcome> => {
		const { roundId } = payloadSchema.parse(job.payload);
		const look = await lookAt(db, roundId);
		if (look.ended) return { status: 'succeeded', progress: { ended: look.ended } };
		const votes = look.verdict?.record?.votes ?? null;
		const changed = votes !== (job.progress.votes ?? null);
		const previous = Number(job.progress.pollDelayMs) || poll;
		const delayMs = changed ? poll : Math.min(previous * 2, maxPoll);
		return { status: 'later', delayMs, progress: { votes, outcome: look.verdict?.outcome ?? null, autoPromote: look.autoPromote, pollDelayMs: delayMs } };
	};
}

type Look = { ended?: string; verdict?: Awaited<ReturnType<typeof verdictFor>>; autoPromote: boolean };

async function lookAt(db: Db, roundId: string): Promise<Look> {
	const [round] = await db
		.select({ closedAt: evaluationRound.closedAt, candidateId: evaluationRound.candidateModelVersionId, personaId: evaluationRound.personaId, number: evaluationRound.number })
		.from(evaluationRound)
		.where(eq(evaluationRound.id, roundId));
	if (!round) return { ended: 'The round no longer exists.', autoPromote: false };
	if (round.closedAt) return { ended: `Round ${round.number} was closed.`, autoPromote: false };
	if (!round.candidateId) return { ended: 'The round has no candidate to promote.', autoPromote: false };
	const [candidate] = await db.select({ status: modelVersion.status, name: modelVersion.name }).from(modelVersion).where(eq(modelVersion.id, round.candidateId));
	if (candidate?.status !== 'candidate') return { ended: `The round's model is ${candidate?.status ?? 'gone'}, no longer a candidate.`, autoPromote: false };
	const settings = await readEvaluationSettings(db, round.personaId);
	const verdict = await verdictFor(db, round.candidateId, { minVotes: settings.minVotes });
	if (!settings.autoPromote || verdict.outcome !== 'better') return { verdict, autoPromote: settings.autoPromote };
	await makeCurrent(db, round.candidateId, { id: null }, { verdict: { outcome: verdict.outcome, reason: verdict.reason, votes: verdict.record?.votes ?? 0, roundId } });
	log.info({ roundId, modelVersionId: round.candidateId }, `promoted ${candidate.name} on the verdict of round ${round.number}: ${verdict.reason}`);
	return { ended: `Made ${candidate.name} current: ${verdict.reason}`, verdict, autoPromote: true };
}
