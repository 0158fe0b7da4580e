import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { job } from '../db/schema';
import * as jobs from '../jobs/queue';

/** The job that computes a new quality snapshot of one persona (handler in quality/jobs.ts). */
export const REFRESH_JOB_KIND = 'quality.refresh';

/**
 * Asks for a new snapshot of the persona's quality figures. A request while
 * one is waiting joins it, so clicking twice (or every page load asking)
 * computes once. A refresh already running may have read the judgments
 * before this request (or before new settings), so it is not joined: a new
 * one waits behind it. Returns the job's id.
 */
export async function requestRefresh(db: DbOrTx, personaId: string, requestedBy?: string | null): Promise<string> {
	const [pending] = await db
		.select({ id: job.id })
		.from(job)
		.where(and(eq(job.kind, REFRESH_JOB_KIND), eq(job.personaId, personaId), eq(job.status, 'queued')))
		.limit(1);
	if (pending) return pending.id;
	const created = await jobs.enqueue(db, { kind: REFRESH_JOB_KIND, payload: { personaId }, personaId, createdBy: requestedBy ?? null });
	return created.id;
}
