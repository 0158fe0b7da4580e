import type { Db } from '../db';
import * as jobs from '../jobs/queue';
import { NotFoundError } from '../errors';
import { samplingProgress, SAMPLING_JOB, type SamplingProgress } from './jobs';

export type SamplingJobStatus = {
	id: string;
	status: string;
	cancelRequested: boolean;
	error: string | null;
	createdAt: string;
	finishedAt: string | null;
	spec: Record<string, unknown>;
	progress: SamplingProgress;
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
		progress: await samplingProgress(db, found.id)
	};
}
