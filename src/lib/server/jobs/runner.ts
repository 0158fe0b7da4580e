import os from 'node:os';
import type { Db } from '../db';
import { log } from '../log';
import * as jobs from './queue';

export type JobOutcome =
	| { status: 'succeeded' | 'failed' | 'cancelled'; progress?: Record<string, unknown>; error?: string | null }
	/** Not done, nothing to do now: back in the queue after `delayMs` (a training run being followed). */
	| { status: 'later'; delayMs: number; progress?: Record<string, unknown> };

export type JobContext = {
	db: Db;
	job: jobs.JobRow;
	workerId: string;
	/** Aborted on shutdown, on cancel, or when the claim was lost. */
	signal: AbortSignal;
};

export type JobHandler = (context: JobContext) => Promise<JobOutcome>;

export function newWorkerId(): string {
	return `${os.hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Claims one job of a kind in `handlers` and runs it to the end, keeping its
 * claim alive meanwhile. Returns false when there was nothing to do.
 */
export async function runNext(
	db: Db,
	workerId: string,
	handlers: Record<string, JobHandler>,
	stopping?: AbortSignal,
	onlyJobId?: string
): Promise<boolean> {
	const claimed = await jobs.claim(db, workerId, Object.keys(handlers), onlyJobId);
	if (!claimed) return false;
	const controller = new AbortController();
	const onStop = () => controller.abort(new Error('shutting down'));
	stopping?.addEventListener('abort', onStop);
	const beat = setInterval(async () => {
		try {
			const held = await jobs.heartbeat(db, claimed.id, workerId);
			if (!held) controller.abort(new Error('claim lost'));
			else if (await jobs.cancelRequested(db, claimed.id)) controller.abort(new Error('cancelled'));
		} catch (error) {
			log.warn({ err: error, jobId: claimed.id }, 'job heartbeat failed');
		}
	}, (jobs.LOCK_SECONDS * 1000) / 3);
	const jobLog = log.child({ jobId: claimed.id, kind: claimed.kind, workerId });
	jobLog.info('job started');
	try {
		const outcome = await handlers[claimed.kind]!({ db, job: claimed, workerId, signal: controller.signal });
		// A worker stopped by shutdown leaves the job running for the next one to pick up.
		if (stopping?.aborted && outcome.status === 'cancelled' && !(await jobs.cancelRequested(db, claimed.id))) {
			jobLog.info('job handed back to the queue (shutdown)');
			await jobs.release(db, claimed.id, workerId, outcome.progress);
			return true;
		}
		if (outcome.status === 'later') await jobs.postpone(db, claimed.id, workerId, outcome.delayMs, outcome.progress);
		else await jobs.finish(db, claimed.id, workerId, outcome);
		jobLog.info({ status: outcome.status }, 'job finished');
	} catch (error) {
		jobLog.error({ err: error }, 'job crashed');
		await jobs.finish(db, claimed.id, workerId, { status: 'failed', error: error instanceof Error ? error.message : String(error) });
	} finally {
		clearInterval(beat);
		stopping?.removeEventListener('abort', onStop);
	}
	return true;
}

/** Polls for jobs until stopped; one job at a time per instance. */
export function startWorker(db: Db, handlers: Record<string, JobHandler>, options: { pollMs?: number; workerId?: string } = {}): { stop(): Promise<void> } {
	const workerId = options.workerId ?? newWorkerId();
	const stopping = new AbortController();
	let wake: (() => void) | undefined;
	const loop = (async () => {
		while (!stopping.signal.aborted) {
			let ran = false;
			try {
				ran = await runNext(db, workerId, handlers, stopping.signal);
			} catch (error) {
				log.error({ err: error }, 'job worker error');
			}
			if (!ran && !stopping.signal.aborted)
				await new Promise<void>((resolve) => {
					wake = resolve;
					setTimeout(resolve, options.pollMs ?? 1000);
				});
		}
	})();
	return {
		async stop() {
			stopping.abort();
			wake?.();
			await loop;
		}
	};
}
