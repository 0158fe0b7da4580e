import { z } from 'zod';
import * as jobs from '../jobs/queue';
import type { JobContext, JobOutcome } from '../jobs/runner';
import type { ObjectStore } from '../storage';
import { buildVersion, failVersion, type PublishProgress } from './publish';

/** The `dataset.publish` job: writes one frozen version's files (./publish.ts). */

const payloadSchema = z.object({ versionId: z.uuid() });

/** Progress is written with the heartbeat at most this often: a million rows are 500 batches. */
const PROGRESS_EVERY_MS = 500;

export function publishJobHandler(
	store: () => ObjectStore,
	listener?: (progress: PublishProgress) => void
): (context: JobContext) => Promise<JobOutcome> {
	return async ({ db, job, workerId, signal }) => {
		const { versionId } = payloadSchema.parse(job.payload);
		let latest: PublishProgress | undefined;
		let sentAt = 0;
		const onProgress = (progress: PublishProgress) => {
			latest = progress;
			listener?.(progress);
			if (Date.now() - sentAt < PROGRESS_EVERY_MS) return;
			sentAt = Date.now();
			void jobs.heartbeat(db, job.id, workerId, progress).catch(() => {});
		};
		try {
			await buildVersion(db, store(), versionId, { signal, onProgress });
			return { status: 'succeeded', progress: latest };
		} catch (error) {
			// Shutdown: the version stays `building` and the next worker writes it again.
			if (signal.aborted && !(await jobs.cancelRequested(db, job.id))) return { status: 'cancelled', progress: latest };
			const reason = signal.aborted ? new Error('Cancelled by an admin before the manifest was stored.') : error;
			await failVersion(db, versionId, reason);
			return { status: signal.aborted ? 'cancelled' : 'failed', progress: latest, error: reason instanceof Error ? reason.message : String(reason) };
		}
	};
}
