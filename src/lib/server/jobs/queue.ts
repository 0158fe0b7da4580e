import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { job } from '../db/schema';
import { FieldError, NotFoundError } from '../errors';

/**
 * Background work in the `job` table. A worker claims a job with
 * FOR UPDATE SKIP LOCKED and keeps a lock (`locked_until`) alive with
 * heartbeats; a job whose worker died (lock expired) is claimable again, so
 * work survives restarts and several app instances never run one job twice.
 */

export type JobRow = typeof job.$inferSelect;

/** How long a claim lasts without a heartbeat. */
export const LOCK_SECONDS = 30;

export async function enqueue(
	db: DbOrTx,
	input: { kind: string; payload: Record<string, unknown>; personaId?: string | null; createdBy?: string | null; progress?: Record<string, unknown> }
): Promise<JobRow> {
	const [created] = await db
		.insert(job)
		.values({
			kind: input.kind,
			payload: input.payload,
			personaId: input.personaId ?? null,
			createdBy: input.createdBy ?? null,
			progress: input.progress ?? {}
		})
		.returning();
	if (!created) throw new Error('job insert returned no row');
	return created;
}

/** The next job of these kinds that nobody holds (or exactly `onlyId`), now held by `workerId`. */
export async function claim(db: Db, workerId: string, kinds: string[], onlyId?: string): Promise<JobRow | undefined> {
	const result = await db.execute(sql`
		update job set status = 'running', locked_by = ${workerId},
			locked_until = now() + make_interval(secs => ${LOCK_SECONDS}),
			attempts = job.attempts + 1, updated_at = now()
		where job.id = (
			select j.id from job j
			where j.kind in (${sql.join(kinds.map((k) => sql`${k}`), sql`, `)})
				and j.cancel_requested_at is null
				${onlyId ? sql`and j.id = ${onlyId}` : sql``}
				and ((j.status = 'queued' and j.run_after <= now()) or (j.status = 'running' and j.locked_until < now()))
			order by j.created_at
			limit 1
			for update skip locked
		)
		returning job.id`);
	const id = rowsOf<{ id: string }>(result)[0]?.id;
	return id ? getJob(db, id) : undefined;
}

export async function getJob(db: DbOrTx, id: string): Promise<JobRow | undefined> {
	const [found] = await db.select().from(job).where(eq(job.id, id));
	return found;
}

/** Keeps the claim alive; false when the job was taken from this worker (its lock lapsed). */
export async function heartbeat(db: DbOrTx, id: string, workerId: string, progress?: Record<string, unknown>): Promise<boolean> {
	const updated = await db
		.update(job)
		.set({
			lockedUntil: sql`now() + make_interval(secs => ${LOCK_SECONDS})`,
			updatedAt: new Date(),
			...(progress ? { progress } : {})
		})
		.where(and(eq(job.id, id), eq(job.lockedBy, workerId), eq(job.status, 'running')))
		.returning({ id: job.id });
	return updated.length > 0;
}

export async function finish(
	db: DbOrTx,
	id: string,
	workerId: string,
	outcome: { status: 'succeeded' | 'failed' | 'cancelled'; progress?: Record<string, unknown>; error?: string | null }
): Promise<void> {
	await db
		.update(job)
		.set({
			status: outcome.status,
			lockedBy: null,
			lockedUntil: null,
			lastError: outcome.error ?? null,
			finishedAt: outcome.status === 'cancelled' ? null : new Date(),
			updatedAt: new Date(),
			...(outcome.progress ? { progress: outcome.progress } : {})
		})
		.where(and(eq(job.id, id), eq(job.lockedBy, workerId)));
}

/** Hands a job back to the queue (its worker is shutting down): the next worker continues it. */
export async function release(db: DbOrTx, id: string, workerId: string, progress?: Record<string, unknown>): Promise<void> {
	await db
		.update(job)
		.set({ status: 'queued', lockedBy: null, lockedUntil: null, updatedAt: new Date(), ...(progress ? { progress } : {}) })
		.where(and(eq(job.id, id), eq(job.lockedBy, workerId)));
}

/** Asks the worker to stop; a job nobody runs is cancelled at once. */
export async function requestCancel(db: Db, id: string): Promise<void> {
	const [found] = await db
		.update(job)
		.set({ cancelRequestedAt: new Date(), updatedAt: new Date() })
		.where(eq(job.id, id))
		.returning({ status: job.status });
	if (!found) throw new NotFoundError('No such job.');
	if (found.status === 'queued') await db.update(job).set({ status: 'cancelled' }).where(eq(job.id, id));
}

/** A job that is neither queued nor running may be put back in the queue. */
export async function assertResumable(db: DbOrTx, id: string): Promise<void> {
	const [found] = await db.select({ status: job.status }).from(job).where(eq(job.id, id));
	if (!found) throw new NotFoundError('No such job.');
	if (found.status === 'queued' || found.status === 'running')
		throw new FieldError('job', `This job is ${found.status} already.`);
}

/** Queues a job again in `delayMs`: work that waits on something outside (a Kubeflow run) without holding a worker. */
export async function postpone(db: DbOrTx, id: string, workerId: string, delayMs: number, progress?: Record<string, unknown>): Promise<void> {
	await db
		.update(job)
		.set({
			status: 'queued',
			lockedBy: null,
			lockedUntil: null,
			runAfter: sql`now() + make_interval(secs => ${delayMs / 1000})`,
			updatedAt: new Date(),
			...(progress ? { progress } : {})
		})
		.where(and(eq(job.id, id), eq(job.lockedBy, workerId)));
}

/** Puts a finished, failed or cancelled job back in the queue; what it finished stays finished. */
export async function resume(db: DbOrTx, id: string): Promise<void> {
	await assertResumable(db, id);
	await db
		.update(job)
		.set({ status: 'queued', cancelRequestedAt: null, lastError: null, finishedAt: null, runAfter: new Date(), updatedAt: new Date() })
		.where(eq(job.id, id));
}

export async function cancelRequested(db: DbOrTx, id: string): Promise<boolean> {
	const [found] = await db.select({ at: job.cancelRequestedAt }).from(job).where(eq(job.id, id));
	return !found || found.at !== null;
}
