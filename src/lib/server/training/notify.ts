import { createHash } from 'node:crypto';
import { buffer as streamBuffer } from 'node:stream/consumers';
import { z } from 'zod';
import { backoffDelay } from '../../retry';
import { eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db';
import { job } from '../db/schema';
import * as jobs from '../jobs/queue';
import { newWorkerId, runNext, type JobContext, type JobOutcome } from '../jobs/runner';
import type { ObjectStore } from '../storage';
import { MANIFEST } from '../datasets/manifest';
import { getVersion } from '../datasets/versions';
import { minioEventFor } from './events';
import { receiveEvent } from './receiver';

/**
 * The local-folder store has no MinIO behind it to announce new manifests, so
 * the platform announces them itself, in MinIO's webhook format, to the same
 * receiver: over HTTP when STORAGE_WEBHOOK_URL is set (`npm start` sets it to
 * the app's own /api/v1/hooks/storage), else by handing the same body to the
 * receiver in-process (the CLI, tests). The announcement is a job queued in
 * the transaction that marks the version published, so a crash or a receiver
 * that is down only delays it: the job tries again with back-off until the
 * receiver answers 2xx, and the receiver's dedupe keeps it to one chain.
 */

export const LOCAL_BUCKET = 'local';
export const ANNOUNCE_JOB = 'storage.announce';

export type AnnounceDeps = { store: ObjectStore; token: string; url: string | undefined };

const payloadSchema = z.object({ versionId: z.uuid() });

/** Tries come 2 s, 4 s, 8 s … apart, then every 10 minutes at most: a receiver down for a day is still reached. */
const ANNOUNCE_BACKOFF = { baseMs: 2_000, maxMs: 10 * 60_000 };

/** A folder has nobody else to announce what lands in it; an S3 bucket has MinIO's (or AWS's) notifications. */
export function announcesItself(store: ObjectStore): boolean {
	return store.root.startsWith('file:');
}

/** Queues the announcement of a version's manifest; a second call for the same version is a no-op. */
export async function queueAnnouncement(tx: DbOrTx, versionId: string): Promise<void> {
	await tx.execute(sql`
		insert into job (kind, payload, persona_id, dedupe_key)
		select ${ANNOUNCE_JOB}, ${JSON.stringify({ versionId })}::jsonb, d.persona_id, ${`${ANNOUNCE_JOB}:${versionId}`}
		from dataset_version v join dataset d on d.id = v.dataset_id
		where v.id = ${versionId}
		on conflict (dedupe_key) do nothing`);
}

/**
 * Tries a version's announcement at once, for the CLI, which has no worker: the job's
 * state afterwards (succeeded, or queued for the app's worker with its last error),
 * or undefined when the store needs none.
 */
export async function announceNow(db: Db, versionId: string, deps: AnnounceDeps): Promise<jobs.JobRow | undefined> {
	const [queued] = await db.select({ id: job.id }).from(job).where(eq(job.dedupeKey, `${ANNOUNCE_JOB}:${versionId}`));
	if (!queued) return undefined;
	await runNext(db, newWorkerId(), { [ANNOUNCE_JOB]: announceJobHandler(() => deps) }, undefined, queued.id);
	return jobs.getJob(db, queued.id);
}

export function announceJobHandler(deps: () => AnnounceDeps): (context: JobContext) => Promise<JobOutcome> {
	return async ({ db, job }) => {
		const { versionId } = payloadSchema.parse(job.payload);
		const { store, token, url } = deps();
		const version = await getVersion(db, versionId);
		const key = version.objectPrefix + MANIFEST;
		const tries = job.attempts;
		try {
			const manifest = await streamBuffer(await store.get(key));
			const event = minioEventFor({
				bucket: LOCAL_BUCKET,
				key,
				size: manifest.byteLength,
				eTag: createHash('md5').update(manifest).digest('hex'),
				// One sequencer per version: every try is a redelivery of the same event.
				sequencer: (version.publishedAt ?? version.createdAt).getTime().toString(16).toUpperCase(),
				at: version.publishedAt ?? new Date()
			});
			const answer = await deliver(db, event, { token, url });
			return { status: 'succeeded', progress: { tries, deliveredTo: url ?? 'in-process', answer } };
		} catch (error) {
			const delayMs = backoffDelay(tries, ANNOUNCE_BACKOFF);
			// undici says only "fetch failed"; its cause names what happened (ECONNREFUSED, …).
			const cause = (error as { cause?: { message?: string } }).cause?.message;
			const lastError = `${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause})` : ''}`;
			return { status: 'later', delayMs, progress: { tries, lastError, nextTryAt: new Date(Date.now() + delayMs).toISOString() } };
		}
	};
}

/** Sends the event once; throws unless the receiver answered 2xx. Returns what it said about the manifest. */
async function deliver(db: JobContext['db'], event: Record<string, unknown>, target: { token: string; url: string | undefined }): Promise<string> {
	if (!target.url) {
		// In-process: the same receiver, past the token check that guards it from the network.
		const result = await receiveEvent(db, { body: event, remoteAddress: 'local-store', bytes: null, bucket: LOCAL_BUCKET });
		if (result.status !== 202) throw new Error(`The receiver refused the event (${result.status}): ${result.results[0]?.reason ?? ''}`);
		return result.results.map((r) => r.outcome).join(', ');
	}
	const response = await fetch(target.url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
		body: JSON.stringify(event),
		signal: AbortSignal.timeout(10_000)
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`${target.url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
	return text.slice(0, 200);
}
