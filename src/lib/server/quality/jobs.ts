import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db';
import type { JobHandler } from '../jobs/runner';
import { log } from '../log';
import { computeSnapshot } from './compute';
import { REFRESH_JOB_KIND } from './refresh-request';
import { requestDueRefreshes, tickMs } from './schedule';

/**
 * The one job that keeps snapshots fresh without a page open: it looks at
 * every persona each tick, queues a refresh where judgments changed and the
 * snapshot would otherwise outgrow QUALITY_REFRESH_SECONDS, and goes back in
 * the queue. One row (unique dedupe key) however many instances run.
 */
export const SCHEDULE_JOB_KIND = 'quality.schedule';

/** Finished refresh jobs are kept this long (the job page of a recent "Recompute now"), then deleted. */
const KEEP_FINISHED_REFRESH_HOURS = 24;

const refreshPayload = z.object({ personaId: z.uuid() });

export const refreshJobHandler: JobHandler = async ({ db, job }) => {
	const { personaId } = refreshPayload.parse(job.payload);
	const started = performance.now();
	const snapshotId = await computeSnapshot(db, personaId);
	return { status: 'succeeded', progress: { snapshotId, ms: Math.round(performance.now() - started) } };
};

/**
 * Never fails: a tick that cannot reach the database is logged and the
 * scheduler looks again next tick, since a failed scheduler would stop every
 * persona's refreshes until the next start.
 */
export function scheduleJobHandler(settings: () => { refreshSeconds: number }): JobHandler {
	return async ({ db }) => {
		const refreshMs = settings().refreshSeconds * 1000;
		let requested: string[] = [];
		try {
			requested = await requestDueRefreshes(db, refreshMs);
			await db.execute(sql`
				delete from job where kind = ${REFRESH_JOB_KIND} and status in ('succeeded', 'failed', 'cancelled')
					and updated_at < now() - make_interval(hours => ${KEEP_FINISHED_REFRESH_HOURS})`);
		} catch (error) {
			log.error({ err: error }, 'quality scheduler tick failed; looking again next tick');
		}
		return { status: 'later', delayMs: tickMs(refreshMs), progress: { lastTickAt: new Date().toISOString(), requested: requested.length } };
	};
}

/** The quality worker's handlers: refreshes and the scheduler (hooks.server.ts, tests). */
export function qualityJobHandlers(settings: () => { refreshSeconds: number }): Record<string, JobHandler> {
	return { [REFRESH_JOB_KIND]: refreshJobHandler, [SCHEDULE_JOB_KIND]: scheduleJobHandler(settings) };
}

/**
 * Puts the scheduler in the queue (once: unique dedupe key) or back in it
 * when it ended (an admin cancelled it, a crash marked it failed), due now.
 * A scheduler running on another instance is left alone.
 */
export async function ensureScheduler(db: Db): Promise<void> {
	await db.execute(sql`
		insert into job (kind, payload, dedupe_key) values (${SCHEDULE_JOB_KIND}, '{}'::jsonb, ${SCHEDULE_JOB_KIND})
		on conflict (dedupe_key) do update set status = 'queued', run_after = now(), cancel_requested_at = null,
			last_error = null, finished_at = null, locked_by = null, locked_until = null, updated_at = now()
		where job.status <> 'running'`);
}
