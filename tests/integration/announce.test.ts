import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { and, eq, like, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs } from '../support/fixtures';
import { requestEvent } from '../support/request-event';
import * as runtime from '../../src/lib/server/runtime';
import { loadConfig, type Config } from '../../src/lib/server/config';
import { job } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { publishJobHandler } from '../../src/lib/server/datasets/job';
import { runNext } from '../../src/lib/server/jobs/runner';
import * as jobs from '../../src/lib/server/jobs/queue';
import { createLocalStore, type ObjectStore } from '../../src/lib/server/storage';
import { CHAIN_JOB } from '../../src/lib/server/training/chain-key';
import { ANNOUNCE_JOB, announceJobHandler } from '../../src/lib/server/training/notify';
import { listPendingAnnouncements } from '../../src/lib/server/training/attention';
import { POST as hook } from '../../src/routes/api/v1/hooks/storage/+server';

// The local-folder store announces each published manifest to the storage webhook itself.
// These specs hold it to "publishing always reaches training": whatever fails in between,
// each version ends with exactly one training chain.

const TOKEN = 'announce-spec-token-0123456789abcdef';

let database: TestDatabase;
let config: Config;
let store: ObjectStore;
let personaId: string;
let datasetId: string;
let receiver: { server: Server; url: string; failures: number; received: number };

/** The app's webhook behind a real HTTP port, answering 500 while `failures` lasts. */
async function startReceiver(port = 0): Promise<void> {
	const server = createServer(async (req, res) => {
		receiver.received++;
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		if (receiver.failures > 0) {
			receiver.failures--;
			return void res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver restarting');
		}
		const headers = { authorization: req.headers.authorization ?? '', 'content-length': String(Buffer.concat(chunks).length) };
		const event = requestEvent('/api/v1/hooks/storage', { method: 'POST', routeId: '/api/v1/hooks/storage', headers });
		const answer = await hook({ ...event, request: new Request(event.url, { method: 'POST', headers, body: Buffer.concat(chunks) }) } as never);
		res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/hooks/storage`;
	receiver = { ...(receiver ?? { failures: 0, received: 0 }), server, url };
}

async function stopReceiver(): Promise<void> {
	receiver.server.closeAllConnections();
	await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
}

async function publish(withStore: ObjectStore = store): Promise<versions.DatasetVersion & { jobId: string }> {
	const created = await versions.createVersion(database.db, datasetId, { id: null }, { undoSeconds: 60 });
	await runNext(database.db, 'spec', { [versions.PUBLISH_JOB]: publishJobHandler(() => withStore) }, undefined, created.jobId);
	return { ...(await versions.getVersion(database.db, created.id)), jobId: created.jobId! };
}

async function jobsFor(kind: string, versionId: string): Promise<jobs.JobRow[]> {
	return database.db.select().from(job).where(and(eq(job.kind, kind), like(job.dedupeKey, `%${versionId}%`)));
}

/** Runs the version's announcement once, as soon as it may run (the back-off has passed). */
async function tryAnnouncing(versionId: string, url: string | undefined): Promise<jobs.JobRow> {
	const [announce] = await jobsFor(ANNOUNCE_JOB, versionId);
	await database.db.update(job).set({ runAfter: sql`now()` }).where(eq(job.id, announce!.id));
	await runNext(database.db, 'spec', { [ANNOUNCE_JOB]: announceJobHandler(() => ({ store, token: TOKEN, url })) }, undefined, announce!.id);
	return (await jobs.getJob(database.db, announce!.id))!;
}

beforeAll(async () => {
	database = await createTestDatabase();
	const objects = mkdtempSync(path.join(os.tmpdir(), 'announce-objects-'));
	config = loadConfig({ ...process.env, OBJECTS_DIR: objects, STORAGE_WEBHOOK_TOKEN: TOKEN, S3_BUCKET: '' });
	runtime.useDatabase(database, config);
	store = createLocalStore(objects);
	personaId = (await createPersonaWithPairs(database.db, { pairs: 4, overlap: 1, slug: 'lynn-announce' })).personaId;
	datasetId = (await definitions.createDataset(database.db, personaId, { name: 'Lynn prefs', slug: 'lynn-prefs', description: '', spec: defaultSpec() }, { id: null })).id;
	await startReceiver();
});

afterAll(async () => {
	await stopReceiver();
	await database?.close();
});

describe('announcing a local folder’s manifests', () => {
	it('keeps trying while the receiver is unreachable or answers 500, then queues exactly one chain', async () => {
		const port = new URL(receiver.url).port;
		await stopReceiver(); // nobody listens there now
		const version = await publish();
		expect(version.status).toBe('published');
		expect(await jobsFor(ANNOUNCE_JOB, version.id)).toHaveLength(1);

		const refused = await tryAnnouncing(version.id, receiver.url);
		expect(refused.status).toBe('queued');
		expect(refused.progress.lastError).toMatch(/fetch failed.*ECONNREFUSED/);
		expect(refused.runAfter.getTime()).toBeGreaterThan(Date.now());
		// the Training page lists it, with why and when it tries next
		expect(await listPendingAnnouncements(database.db, personaId)).toEqual([
			expect.objectContaining({ version: version.version, tries: 1, lastError: expect.stringMatching(/ECONNREFUSED/), nextTryAt: refused.runAfter })
		]);

		await startReceiver(Number(port));
		receiver.failures = 3;
		for (let i = 0; i < 3; i++) expect((await tryAnnouncing(version.id, receiver.url)).progress.lastError).toMatch(/answered HTTP 500: receiver restarting/);
		expect(await jobsFor(CHAIN_JOB, version.id)).toHaveLength(0);
		const delivered = await tryAnnouncing(version.id, receiver.url);
		expect(delivered.status).toBe('succeeded');
		expect(delivered.progress).toMatchObject({ tries: 5, answer: expect.stringContaining('accepted') });
		expect(await jobsFor(CHAIN_JOB, version.id)).toHaveLength(1);
		expect(await listPendingAnnouncements(database.db, personaId)).toEqual([]);
		expect(receiver.received).toBe(4);
	});

	it('survives a worker that dies between storing the manifest and recording the version', async () => {
		let release: () => void = () => {};
		const stuck = new Promise<void>((resolve) => (release = resolve));
		let manifestStored = false;
		// the dying worker's store: the manifest lands, then the process "stops" before anything else happens
		const dying: ObjectStore = {
			...store,
			async put(key, body, options) {
				const stored = await store.put(key, body, options);
				if (key.endsWith('manifest.json')) {
					manifestStored = true;
					await stuck;
				}
				return stored;
			}
		};
		const created = await versions.createVersion(database.db, datasetId, { id: null }, { undoSeconds: 60 });
		const zombie = runNext(database.db, 'dying-worker', { [versions.PUBLISH_JOB]: publishJobHandler(() => dying) }, undefined, created.jobId);
		while (!manifestStored) await new Promise((resolve) => setTimeout(resolve, 10));
		const version = await versions.getVersion(database.db, created.id);
		expect(existsSync(new URL(store.locationOf(`${version.objectPrefix}manifest.json`)))).toBe(true);
		expect(version.status).toBe('building');
		expect(await jobsFor(ANNOUNCE_JOB, version.id)).toHaveLength(0);

		// its claim lapses; another worker takes the publish job over and finds the manifest stored
		await database.db.update(job).set({ lockedUntil: sql`now() - interval '1 second'` }).where(eq(job.id, created.jobId!));
		await runNext(database.db, 'next-worker', { [versions.PUBLISH_JOB]: publishJobHandler(() => store) }, undefined, created.jobId);
		expect((await versions.getVersion(database.db, version.id)).status).toBe('published');
		// the dead worker's last gasp changes nothing
		release();
		await zombie;
		expect(await jobsFor(ANNOUNCE_JOB, version.id)).toHaveLength(1);

		// announced in-process (no STORAGE_WEBHOOK_URL), twice for good measure: one chain
		expect((await tryAnnouncing(version.id, undefined)).status).toBe('succeeded');
		await database.db.update(job).set({ status: 'queued' }).where(and(eq(job.kind, ANNOUNCE_JOB), like(job.dedupeKey, `%${version.id}%`)));
		expect((await tryAnnouncing(version.id, undefined)).progress.answer).toBe('duplicate');
		expect(await jobsFor(CHAIN_JOB, version.id)).toHaveLength(1);
	});

	it('leaves announcing to MinIO when the store is a bucket', async () => {
		const bucketLike: ObjectStore = { ...store, root: 's3://rlhf-datasets' };
		const version = await publish(bucketLike);
		expect(version.status).toBe('published');
		expect(await jobsFor(ANNOUNCE_JOB, version.id)).toHaveLength(0);
	});
});
