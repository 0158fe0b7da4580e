import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStore, createS3Store, ObjectNotFoundError, openLocation, type ObjectStore } from '../../src/lib/server/storage';
import { startFaultyProxy, startS3Server, type FaultyProxy, type S3Server } from '../support/s3';

const MiB = 1024 * 1024;
const BUCKET = 'published';

let dir: string;
let s3: S3Server;
let proxy: FaultyProxy;
let localStore: ObjectStore;
let s3Store: ObjectStore;

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'objects-'));
	s3 = await startS3Server({ bucket: BUCKET });
	proxy = await startFaultyProxy(s3.endpoint);
	localStore = createLocalStore(dir);
	// Through the proxy, so the S3 specs can read the request log and inject failures.
	s3Store = createS3Store({ ...s3.config, endpoint: proxy.endpoint });
});

afterAll(async () => {
	await proxy?.stop();
	await s3?.stop();
	if (dir) await rm(dir, { recursive: true, force: true });
});

async function bytesOf(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
	const keys: string[] = [];
	for await (const object of store.list(prefix)) keys.push(object.key);
	return keys;
}

/** `count` MiB of random bytes, as separate chunks so a stream hands them over one by one. */
function randomMiB(count: number): { chunks: Buffer[]; sha256: string } {
	const chunks = Array.from({ length: count }, () => randomBytes(MiB));
	return { chunks, sha256: sha256Of(Buffer.concat(chunks)) };
}

function sha256Of(bytes: Buffer): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/** Hands over `chunks`, then fails as a broken upstream would. */
function breakingStream(chunks: Buffer[]): Readable {
	return Readable.from(
		(async function* () {
			yield* chunks;
			throw new Error('source broke');
		})()
	);
}

describe.each([
	['a local folder', () => localStore],
	['S3 (s3rver)', () => s3Store]
])('an object store in %s', (_where, storeOf) => {
	it('gives back byte for byte what was put as a string, bytes or a stream', async () => {
		const store = storeOf();
		const text = 'héllo, Lynn ✓\n';
		const bytes = randomBytes(3000);
		const streamed = [randomBytes(700), randomBytes(1), randomBytes(70_000)];

		expect(await store.put('roundtrip/text.txt', text, { contentType: 'text/plain' })).toEqual({
			key: 'roundtrip/text.txt',
			bytes: Buffer.byteLength(text)
		});
		expect(await store.put('roundtrip/bytes.bin', new Uint8Array(bytes))).toEqual({ key: 'roundtrip/bytes.bin', bytes: 3000 });
		expect(await store.put('roundtrip/stream.bin', Readable.from(streamed))).toEqual({ key: 'roundtrip/stream.bin', bytes: 70_701 });

		expect((await bytesOf(await store.get('roundtrip/text.txt'))).toString('utf8')).toBe(text);
		expect((await bytesOf(await store.get('roundtrip/bytes.bin'))).equals(bytes)).toBe(true);
		expect((await bytesOf(await store.get('roundtrip/stream.bin'))).equals(Buffer.concat(streamed))).toBe(true);
	});

	it('streams a 20 MiB body through and reads back the same SHA-256', async () => {
		const store = storeOf();
		const { chunks, sha256 } = randomMiB(20);

		expect(await store.put('big/shard-0.parquet', Readable.from(chunks))).toEqual({ key: 'big/shard-0.parquet', bytes: 20 * MiB });
		expect(sha256Of(await bytesOf(await store.get('big/shard-0.parquet')))).toBe(sha256);
	});

	it('reports the size of an object, and nothing for a missing key', async () => {
		const store = storeOf();
		await store.put('stat/manifest.json', '{"rows":3}');

		expect(await store.stat('stat/manifest.json')).toEqual({ bytes: 10 });
		expect(await store.stat('stat/missing.json')).toBeUndefined();
		expect(await store.stat('stat')).toBeUndefined();
	});

	it('lists every key under a prefix in key order, and no other', async () => {
		const store = storeOf();
		for (const key of ['list/c.json', 'list/a.json', 'listing/x.json', 'list/b/shard-1', 'list/b/shard-0', 'other/a'])
			await store.put(key, key);

		const listed: Array<{ key: string; bytes: number }> = [];
		for await (const object of store.list('list/')) listed.push(object);

		expect(listed).toEqual([
			{ key: 'list/a.json', bytes: 11 },
			{ key: 'list/b/shard-0', bytes: 14 },
			{ key: 'list/b/shard-1', bytes: 14 },
			{ key: 'list/c.json', bytes: 11 }
		]);
		expect(await keysUnder(store, 'list/b/')).toEqual(['list/b/shard-0', 'list/b/shard-1']);
		expect(await keysUnder(store, 'nothing-here/')).toEqual([]);
	});

	it('throws ObjectNotFoundError naming the location when getting a missing key', async () => {
		const store = storeOf();
		const attempt = store.get('missing/manifest.json');

		await expect(attempt).rejects.toBeInstanceOf(ObjectNotFoundError);
		await expect(attempt).rejects.toThrow(store.locationOf('missing/manifest.json'));
	});

	it('leaves the key as it was when the body stream breaks half-way', async () => {
		const store = storeOf();
		await store.put('broken/kept.json', 'old version');
		const { chunks } = randomMiB(10);

		await expect(store.put('broken/kept.json', breakingStream(chunks))).rejects.toThrow(/broken\/kept\.json.*source broke/);
		await expect(store.put('broken/new.json', breakingStream(chunks.slice(0, 1)))).rejects.toThrow(/source broke/);

		expect((await bytesOf(await store.get('broken/kept.json'))).toString()).toBe('old version');
		expect(await store.stat('broken/new.json')).toBeUndefined();
		expect(await keysUnder(store, 'broken/')).toEqual(['broken/kept.json']);
	});

	it('stops a put when its signal aborts, and stores nothing under the key', async () => {
		const store = storeOf();
		const controller = new AbortController();
		let reads = 0;
		// One chunk, then a source that never ends; the abort comes once the store has asked for more.
		const stalled = new Readable({
			read(): void {
				reads += 1;
				if (reads === 1) this.push(randomBytes(MiB));
				else controller.abort();
			}
		});

		await expect(store.put('aborted/shard.bin', stalled, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
		await expect(store.put('aborted/late.bin', 'x', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
		expect(await store.stat('aborted/shard.bin')).toBeUndefined();
		expect(await keysUnder(store, 'aborted/')).toEqual([]);
	});

	it('refuses keys that could escape the store, naming them', async () => {
		const store = storeOf();
		for (const key of ['', '/etc/passwd', '../outside', 'a/../../b', 'a\\b', 'a//b', './a']) {
			await expect(store.put(key, 'x')).rejects.toThrow(`Unsafe object key ${JSON.stringify(key)}`);
			await expect(store.get(key)).rejects.toThrow(/Unsafe object key/);
			await expect(store.stat(key)).rejects.toThrow(/Unsafe object key/);
		}
		expect(() => store.list('../')).toThrow(/Unsafe object key/);
		expect(() => store.list('list')).toThrow(/must end with \//);
	});
});

describe('the local folder store', () => {
	it('lists in S3 key order (bytes), not in the order a folder walk meets files', async () => {
		for (const key of ['order/b', 'order/a/x', 'order/a-c', 'order/a.json']) await localStore.put(key, key);

		expect(await keysUnder(localStore, 'order/')).toEqual(['order/a-c', 'order/a.json', 'order/a/x', 'order/b']);
	});

	it('leaves no temp file behind when a put fails or is aborted', async () => {
		await expect(localStore.put('temp/a/b/shard.bin', breakingStream([randomBytes(MiB)]))).rejects.toThrow(/source broke/);
		await expect(localStore.put('temp/a/b/empty.bin', 'x', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });

		const files = await readdir(path.join(dir, 'temp'), { recursive: true });
		expect(files.filter((name) => name.endsWith('.partial'))).toEqual([]);
	});

	it('names its folder and objects by file:// URL', () => {
		expect(localStore.root).toBe(pathToFileURL(dir).href);
		expect(localStore.locationOf('datasets/v1/manifest.json')).toBe(pathToFileURL(path.join(dir, 'datasets/v1/manifest.json')).href);
	});
});

describe('the S3 store', () => {
	it('sends a 20 MiB stream as a multipart upload and keeps its SHA-256', async () => {
		const { chunks, sha256 } = randomMiB(20);
		proxy.clear();

		await s3Store.put('multipart/shard.parquet', Readable.from(chunks));

		const parts = proxy.requests.filter((r) => r.method === 'PUT' && /[?&]partNumber=\d+/.test(r.url));
		expect(parts.length).toBe(3);
		expect(sha256Of(await bytesOf(await s3Store.get('multipart/shard.parquet')))).toBe(sha256);
	});

	it('fails a put whose every UploadPart gets a 500 with the key and the S3 error, and stores nothing', async () => {
		proxy.failWhen((r) => r.method === 'PUT' && r.url.includes('partNumber='));
		try {
			const attempt = s3Store.put('faulty/shard.parquet', randomBytes(9 * MiB));
			await expect(attempt).rejects.toThrow(`S3 put of s3://${BUCKET}/faulty/shard.parquet`);
			await expect(attempt).rejects.toThrow('InternalError: injected failure (HTTP 500)');
		} finally {
			proxy.clear();
		}
		expect(await s3Store.stat('faulty/shard.parquet')).toBeUndefined();
	});

	it('says which bucket is missing and what to check', async () => {
		const store = createS3Store({ ...s3.config, bucket: 'no-such-bucket' });

		await expect(store.get('x.json')).rejects.toThrow(/s3:\/\/no-such-bucket\/x\.json.*NoSuchBucket.*check S3_BUCKET/);
	});
});

describe('openLocation', () => {
	it('opens s3://bucket/prefix with the configured endpoint and credentials', async () => {
		await s3Store.put('datasets/prefs/v3/manifest.json', '{}');
		const { store, prefix } = openLocation(`s3://${BUCKET}/datasets/prefs/v3`, s3.config);

		expect(store.root).toBe(`s3://${BUCKET}`);
		expect(prefix).toBe('datasets/prefs/v3/');
		expect(await keysUnder(store, prefix)).toEqual(['datasets/prefs/v3/manifest.json']);
		expect(openLocation(`s3://${BUCKET}`, s3.config).prefix).toBe('');
	});

	it('opens file:// URLs and relative or absolute folder paths at their root', async () => {
		await localStore.put('located/manifest.json', '{}');
		const fromUrl = openLocation(`${pathToFileURL(path.join(dir, 'located')).href}/`);
		const fromRelative = openLocation(path.relative(process.cwd(), path.join(dir, 'located')));

		expect(fromUrl.prefix).toBe('');
		expect(await keysUnder(fromUrl.store, '')).toEqual(['manifest.json']);
		expect(fromRelative.store.root).toBe(pathToFileURL(path.join(dir, 'located')).href);
		expect(await keysUnder(fromRelative.store, '')).toEqual(['manifest.json']);
	});

	it('refuses locations it cannot open, saying what it accepts', () => {
		expect(() => openLocation('https://example.com/datasets/')).toThrow(/s3:\/\/bucket\/prefix\//);
		expect(() => openLocation('s3://published/../secrets/')).toThrow(/Unsafe object key/);
		expect(() => openLocation(' ')).toThrow(/No location given/);
	});
});
