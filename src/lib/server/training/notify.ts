import { createHash } from 'node:crypto';
import type { Db } from '../db';
import { log } from '../log';
import type { ObjectStore } from '../storage';
import { minioEventFor } from './events';
import { receiveDelivery } from './receiver';

/**
 * The local-folder store has no MinIO behind it to announce new objects, so it
 * announces them itself, in MinIO's webhook format, to the same receiver:
 * over HTTP when STORAGE_WEBHOOK_URL is set (`npm start` sets it to the app's
 * own /api/v1/hooks/storage), else by handing the same body to the receiver
 * in-process (the CLI, tests). Only manifests are announced, as MinIO is
 * configured to (`--suffix manifest.json`). Like MinIO with a queue_dir, a
 * failed delivery is retried and never fails the upload itself.
 */

export const LOCAL_BUCKET = 'local';
const MANIFEST_KEY = /^datasets\/.+\/manifest\.json$/;

export type Announce = { db: () => Db; token: string; url: string | undefined };

export function announcingStore(store: ObjectStore, announce: Announce): ObjectStore {
	return {
		root: store.root,
		locationOf: (key) => store.locationOf(key),
		get: (key) => store.get(key),
		stat: (key) => store.stat(key),
		list: (prefix) => store.list(prefix),
		async put(key, body, options) {
			const stored = await store.put(key, body, options);
			if (MANIFEST_KEY.test(key)) {
				const eTag = typeof body === 'string' || body instanceof Uint8Array ? createHash('md5').update(body).digest('hex') : '';
				const event = minioEventFor({ bucket: LOCAL_BUCKET, key, size: stored.bytes, eTag, sequencer: Date.now().toString(16).toUpperCase(), at: new Date() });
				await deliver(event, announce);
			}
			return stored;
		}
	};
}

async function deliver(event: Record<string, unknown>, announce: Announce): Promise<void> {
	for (let attempt = 1; attempt <= 3; attempt++) {
		try {
			if (!announce.url) {
				await receiveDelivery(announce.db(), { authorization: `Bearer ${announce.token}`, body: event, remoteAddress: 'local-store', token: announce.token, bucket: LOCAL_BUCKET });
				return;
			}
			const response = await fetch(announce.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${announce.token}` },
				body: JSON.stringify(event),
				signal: AbortSignal.timeout(10_000)
			});
			if (response.ok) return;
			throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
		} catch (error) {
			log.warn({ err: error, attempt, url: announce.url ?? 'in-process' }, 'storage event delivery failed');
			await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
		}
	}
}
