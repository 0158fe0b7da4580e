import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, like } from 'drizzle-orm';
import { readContract } from '../support/contracts';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs } from '../support/fixtures';
import { requestEvent } from '../support/request-event';
import * as runtime from '../../src/lib/server/runtime';
import { loadConfig } from '../../src/lib/server/config';
import { job, storageEvent, webhookRejectionCount, webhookRejectionReasons, webhookRejectionSample, WEBHOOK_REJECTION_SAMPLES } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { decodeEventKey, minioEventFor, parseStorageEvent } from '../../src/lib/server/training/events';
import { CHAIN_JOB } from '../../src/lib/server/training/chain-key';
import { POST } from '../../src/routes/api/v1/hooks/storage/+server';

const TOKEN = 'a-webhook-token-for-specs-0123456789';
const BUCKET = 'rlhf-datasets';

let database: TestDatabase;
let versionId: string;
let manifestKey: string;

function deliver(body: unknown, authorization: string | null = `Bearer ${TOKEN}`, ip = '127.0.0.1') {
	const text = JSON.stringify(body);
	// as an HTTP client sends it: a Request made here has no Content-Length of its own
	return post(text, { 'content-length': String(Buffer.byteLength(text)), ...(authorization ? { authorization } : {}) }, ip);
}

function post(body: BodyInit, headers: Record<string, string>, ip = '127.0.0.1') {
	const event = requestEvent('/api/v1/hooks/storage', { method: 'POST', routeId: '/api/v1/hooks/storage', headers, ip });
	const request = new Request(event.url, { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
	return POST({ ...event, request } as never);
}

async function rejectionCounts(): Promise<Record<string, number>> {
	const rows = await database.db.select().from(webhookRejectionCount);
	return Object.fromEntries(webhookRejectionReasons.map((reason) => [reason, rows.filter((r) => r.reason === reason).reduce((n, r) => n + r.count, 0)]));
}

/** A body of `megabytes` MiB made on demand, telling how much of it was read. */
function endlessBody(megabytes: number, chunk = new TextEncoder().encode('{"Records": [' + ' '.repeat(65_536 - 13))) {
	const read = { bytes: 0, cancelled: false };
	let left = (megabytes * 1024 * 1024) / chunk.byteLength;
	const stream = new ReadableStream<Uint8Array>({
		pull(controller) {
			if (left-- <= 0) return controller.close();
			read.bytes += chunk.byteLength;
			controller.enqueue(chunk);
		},
		cancel() {
			read.cancelled = true;
		}
	});
	return { stream, read };
}

function manifestEvent(key: string, sequencer: string, eventName = 's3:ObjectCreated:Put'): Record<string, unknown> {
	const event = minioEventFor({ bucket: BUCKET, key, size: 1234, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer, at: new Date() });
	(event.Records as Array<Record<string, unknown>>)[0]!.eventName = eventName;
	return { ...event, EventName: eventName };
}

async function chainJobs(): Promise<number> {
	return (await database.db.select({ id: job.id }).from(job).where(like(job.dedupeKey, `${CHAIN_JOB}:${versionId}%`))).length;
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database, loadConfig({ ...process.env, S3_BUCKET: BUCKET, S3_ENDPOINT: 'http://127.0.0.1:1', STORAGE_WEBHOOK_TOKEN: TOKEN }));
	const { personaId } = await createPersonaWithPairs(database.db, { pairs: 3, overlap: 1, slug: 'lynn-hooks' });
	// A slug with a dash and a version folder: the key MinIO escapes as datasets%2Flynn-hooks%2F…
	const { id } = await definitions.createDataset(database.db, personaId, { name: 'Lynn prefs', slug: 'lynn-prefs', description: '', spec: defaultSpec() }, { id: null });
	const created = await versions.createVersion(database.db, id, { id: null }, { undoSeconds: 60 });
	versionId = created.id;
	manifestKey = `${(await versions.getVersion(database.db, versionId)).objectPrefix}manifest.json`;
});

afterAll(async () => {
	await database?.close();
});

describe('reading storage events', () => {
	it('decodes keys as MinIO escapes them: %2F is a slash, + a space', () => {
		expect(decodeEventKey('exports%2Fv3%2Fpreferences%2Ftrain-00000.jsonl')).toBe('exports/v3/preferences/train-00000.jsonl');
		expect(decodeEventKey('datasets%2Flynn%2Fmy+data%2Bset%2Fv1%2Fmanifest.json')).toBe('datasets/lynn/my data+set/v1/manifest.json');
	});

	it('reads the contract MinIO event and a plain AWS S3 record alike', () => {
		const minio = JSON.parse(readContract('minio_webhook_event.json'));
		expect(parseStorageEvent(minio)).toEqual([
			expect.objectContaining({ eventName: 'ObjectCreated:Put', bucket: 'rlhf-datasets', key: 'exports/v3/preferences/train-00000.jsonl' })
		]);
		const aws = { Records: [{ eventName: 'ObjectCreated:CompleteMultipartUpload', s3: { bucket: { name: BUCKET }, object: { key: 'datasets/lynn/x/v1/manifest.json', sequencer: '0A1B' } } }] };
		expect(parseStorageEvent(aws)).toEqual([expect.objectContaining({ eventName: 'ObjectCreated:CompleteMultipartUpload', key: 'datasets/lynn/x/v1/manifest.json' })]);
		expect(() => parseStorageEvent({ hello: 'world' })).toThrow(/Not an S3 \/ MinIO event: Records/);
	});
});

describe('POST /api/v1/hooks/storage', () => {
	it('answers 401 to a missing or wrong token, counts the rejection, and starts nothing', async () => {
		const event = manifestEvent(manifestKey, '100');
		expect((await deliver(event, null)).status).toBe(401);
		expect((await deliver(event, 'Bearer not-the-token')).status).toBe(401);
		expect((await deliver(event, TOKEN)).status).toBe(401); // no "Bearer"
		expect(await chainJobs()).toBe(0);
		expect(await rejectionCounts()).toMatchObject({ no_token: 1, wrong_token: 2 });
		expect(await database.db.select().from(storageEvent)).toEqual([]);
		// the sample says who, why and how much; never the token that was tried
		const sample = await database.db.select().from(webhookRejectionSample);
		expect(sample.map((s) => s.reason).sort()).toEqual(['no_token', 'wrong_token', 'wrong_token']);
		expect(sample[0]).toMatchObject({ remoteAddress: '127.0.0.1', bytes: JSON.stringify(event).length });
		expect(JSON.stringify(sample)).not.toContain('not-the-token');
	});

	it('refuses a body that is not an event, naming what is missing', async () => {
		const response = await deliver({ EventName: 's3:ObjectCreated:Put' });
		expect(response.status).toBe(400);
		expect(JSON.stringify(await response.json())).toMatch(/Records/);
		expect((await post('{"Records": [', { authorization: `Bearer ${TOKEN}` })).status).toBe(400);
		expect(await rejectionCounts()).toMatchObject({ not_an_event: 2 });
	});

	it('queues one training chain for a manifest, whatever the repeats and the order', async () => {
		const put = manifestEvent(manifestKey, '17A0');
		expect(put.Records).toEqual([expect.objectContaining({ s3: expect.objectContaining({ object: expect.objectContaining({ key: expect.stringContaining('%2F') }) }) })]);
		// a file of the version arriving after its manifest, the manifest twice, a multipart completion of it, at once
		const responses = await Promise.all([
			deliver(manifestEvent(manifestKey.replace('manifest.json', 'votes.jsonl'), '17A1')),
			deliver(put),
			deliver(put),
			deliver(manifestEvent(manifestKey, '17A2', 's3:ObjectCreated:CompleteMultipartUpload'))
		]);
		expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202]);
		const outcomes = (await Promise.all(responses.map((r) => r.json()))).map((b) => b.results[0].outcome);
		expect(outcomes[0]).toBe('ignored');
		expect(outcomes.slice(1).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
		// replayed an hour later
		const replay = await (await deliver(put)).json();
		expect(replay.results[0].outcome).toBe('duplicate');
		// the same manifest as AWS S3 reports it: no wrapper, no "s3:" prefix, slashes left alone
		const aws = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: BUCKET }, object: { key: manifestKey, sequencer: '17A3' } } }] };
		expect((await (await deliver(aws)).json()).results[0]).toMatchObject({ outcome: 'duplicate', datasetVersionId: versionId });
		expect(await chainJobs()).toBe(1);
		const recorded = await database.db.select().from(storageEvent).where(eq(storageEvent.datasetVersionId, versionId));
		expect(recorded.length).toBe(5);
	});

	it('ignores deletions, other buckets and manifests of versions it does not know, and says why', async () => {
		const removed = await (await deliver(manifestEvent(manifestKey, '18', 's3:ObjectRemoved:Delete'))).json();
		expect(removed.results[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/not a completed upload/) });
		const other = minioEventFor({ bucket: 'somebody-else', key: manifestKey, size: 1, eTag: '', sequencer: '19', at: new Date() });
		expect((await (await deliver(other)).json()).results[0].reason).toMatch(/bucket somebody-else is not the platform's/);
		// `+` is a space (MinIO escapes with Go's QueryEscape): "lynn prefs" is not the slug lynn-prefs
		const spaced = await (await deliver(manifestEvent(manifestKey.replace('lynn-prefs', 'lynn prefs'), '21'))).json();
		expect(JSON.stringify(manifestEvent(manifestKey.replace('lynn-prefs', 'lynn prefs'), '21'))).toContain('lynn+prefs%2Fv1%2Fmanifest.json');
		expect(spaced.results[0]).toMatchObject({ outcome: 'ignored', reason: 'not a dataset version manifest' });
		const unknown = await (await deliver(manifestEvent('datasets/lynn-hooks/lynn-prefs/v99/manifest.json', '20'))).json();
		expect(unknown.results[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/no dataset version is published under/) });
		expect(await chainJobs()).toBe(1);
	});
});

describe('a flood of deliveries', () => {
	it('keeps 5,000 unauthenticated POSTs as counters and a bounded sample, not as 5,000 rows', async () => {
		const before = await rejectionCounts();
		const storedBefore = (await database.db.select({ id: storageEvent.id }).from(storageEvent)).length;
		const event = manifestEvent(manifestKey, 'flood');
		for (let batch = 0; batch < 100; batch++) {
			const answers = await Promise.all(
				Array.from({ length: 50 }, (_, i) => deliver(event, i % 5 ? 'Bearer guess-' + i : null, `10.0.${batch}.${i}`))
			);
			expect(answers.every((a) => a.status === 401)).toBe(true);
		}
		const after = await rejectionCounts();
		expect(after.wrong_token! - before.wrong_token! + after.no_token! - before.no_token!).toBe(5_000);
		expect(after.no_token! - before.no_token!).toBe(1_000);
		expect((await database.db.select({ id: storageEvent.id }).from(storageEvent)).length).toBe(storedBefore);
		expect(await database.db.select().from(webhookRejectionSample)).toHaveLength(WEBHOOK_REJECTION_SAMPLES);
		// the rows behind the counters: one per hour and reason
		expect((await database.db.select().from(webhookRejectionCount)).length).toBeLessThanOrEqual(2 * webhookRejectionReasons.length);
		expect(await chainJobs()).toBe(1);
	});

	it('checks the token before reading the body: 100 MiB with a wrong token is answered 401 unread', async () => {
		const { stream, read } = endlessBody(100);
		const response = await post(stream, { authorization: 'Bearer wrong-token-0123456789', 'content-type': 'application/json' });
		expect(response.status).toBe(401);
		expect(read.bytes).toBeLessThanOrEqual(2 * 65_536);
	});

	it('answers 413 to a body over STORAGE_WEBHOOK_MAX_BYTES, reading no more than the cap', async () => {
		const maxBytes = runtime.config().storageWebhook.maxBytes;
		expect(maxBytes).toBe(64 * 1024);
		const { stream, read } = endlessBody(100);
		const response = await post(stream, { authorization: `Bearer ${TOKEN}` });
		expect(response.status).toBe(413);
		expect((await response.json()).message).toMatch(/STORAGE_WEBHOOK_MAX_BYTES/);
		expect(read.bytes).toBeLessThanOrEqual(maxBytes + 2 * 65_536);
		// a declared length over the cap is refused before a byte is read
		const declared = endlessBody(1);
		expect((await post(declared.stream, { authorization: `Bearer ${TOKEN}`, 'content-length': String(maxBytes + 1) })).status).toBe(413);
		expect(declared.read.bytes).toBeLessThanOrEqual(65_536);
		expect(await rejectionCounts()).toMatchObject({ too_large: 2 });
	});

	it('answers 429 with Retry-After once one address sends more than STORAGE_WEBHOOK_RATE_PER_MINUTE', async () => {
		const config = runtime.config();
		runtime.useDatabase(database, { ...config, storageWebhook: { ...config.storageWebhook, ratePerMinute: 5 } });
		try {
			const answers = [];
			for (let i = 0; i < 7; i++) answers.push(await deliver(manifestEvent(manifestKey, 'rl'), `Bearer ${TOKEN}`, '192.0.2.7'));
			expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 429, 429]);
			expect(Number(answers[5]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
			// another address is not held back by this one
			expect((await deliver(manifestEvent(manifestKey, 'rl'), `Bearer ${TOKEN}`, '192.0.2.8')).status).toBe(202);
			expect(await rejectionCounts()).toMatchObject({ rate_limited: 2 });
		} finally {
			runtime.useDatabase(database, config);
		}
	});
});
