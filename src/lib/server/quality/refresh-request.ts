import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { job } from '../db/schema';
import * as jobs from '../jobs/queue';

/** The job that computes a new quality snapshot of one persona (handler in quality/refresh.ts). */
export const REFRESH_JOB_KIND = 'quality.refresh';

/**
 * Asks for a new snapshot of the persona's quality figures. A request while
 * one is already waiting or running joins it, so clicking twice (or every page
 * load asking) computes once. Returns the job's id.
 */
export async function requestRefresh(db: DbOrTx, personaId: string, requestedBy?: string | null): Promise<string> {
	const [pending] = await db
		.select({ id: job.id })
		.from(job)
		.where(and(eq(job.kind, REFRESH_JOB_KIND), eq(job.personaId, personaId), inArray(job.status, ['queued', 'running'])))
		.limit(1);
	if (pending) return pending.id;
	const created = await jobs.enqueue(db, { kind: REFRESH_JOB_KIND, payload: { personaId }, personaId, createdBy: requestedBy ?? null });
	return created.id;
}
