import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { ObjectNotFoundError, type ObjectStore, type PutOptions, type PutResult } from './store';

// In the order a person would fix them; the first that applies is reported.
const KEY_RULES: Array<[breaks: (key: string) => boolean, problem: string]> = [
	[(key) => key === '', 'it is empty'],
	[(key) => key.startsWith('/'), 'it starts with /'],
	[(key) => key.includes('\\'), 'it contains a backslash'],
	[(key) => key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'), 'it has an empty, . or .. segment']
];

/**
 * Keys are relative `/`-separated paths (see store.ts). Both stores check them, so
 * a key that would escape a folder here is refused on S3 too and the two never disagree.
 */
export function assertSafeKey(key: string): void {
	const problem = KEY_RULES.find(([breaks]) => breaks(key))?.[1];
	if (problem) throw new Error(`Unsafe object key ${JSON.stringify(key)}: ${problem}. Keys look like datasets/team/name/v1/manifest.json.`);
}

/** A prefix is '' (everything) or a safe key followed by `/`. */
export function assertSafePrefix(prefix: string): void {
	if (prefix === '') return;
	if (!prefix.endsWith('/')) throw new Error(`Object prefix ${JSON.stringify(prefix)} must end with / (or be empty for everything).`);
	assertSafeKey(prefix.slice(0, -1));
}

export type CountedBody = { body: Readable | Uint8Array; bytes(): number; sourceFailure(): unknown };

/** The body as the stores send it, how many bytes went through, and why the caller's stream broke if it did. */
export function countBody(body: Readable | Uint8Array | string): CountedBody {
	if (typeof body === 'string') body = Buffer.from(body, 'utf8');
	if (body instanceof Uint8Array) {
		const length = body.byteLength;
		return { body, bytes: () => length, sourceFailure: () => undefined };
	}
	let bytes = 0;
	let failure: unknown;
	const counter = new Transform({
		transform(chunk: Buffer, _encoding, done): void {
			bytes += chunk.length;
			done(null, chunk);
		}
	});
	// A failing source destroys the counter with its error, so the reader sees the failure.
	pipeline(body, counter).catch((error: unknown) => (failure = error));
	return { body: counter, bytes: () => bytes, sourceFailure: () => failure };
}

// Temp files start with a dot and end in .partial; list never shows them.
const PARTIAL = /^\..+\.[0-9a-f]{16}\.partial$/;

/** A folder on this machine: the embedded default. */
export function createLocalStore(dir: string): ObjectStore {
	const root = path.resolve(dir);
	const fileOf = (key: string): string => path.join(root, ...key.split('/'));
	// A prefix (`datasets/…/v3/`) keeps its trailing slash, as s3:// locations do: it names a folder.
	const locationOf = (key: string): string => pathToFileURL(fileOf(key)).href + (key.endsWith('/') && key !== '/' ? '/' : '');

	return {
		root: pathToFileURL(root).href,
		locationOf,
		async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
			assertSafeKey(key);
			const { signal } = options;
			signal?.throwIfAborted();
			const target = fileOf(key);
			// Same folder as the target, so rename is atomic: readers see the old object or the whole new one.
			const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(8).toString('hex')}.partial`);
			const counted = countBody(body);
			const source = counted.body instanceof Readable ? counted.body : Readable.from([counted.body]);
			try {
				await mkdir(path.dirname(target), { recursive: true });
				await pipeline(source, createWriteStream(temp, { flags: 'wx' }), { signal });
				await rename(temp, target);
			} catch (error) {
				source.destroy();
				await rm(temp, { force: true });
				signal?.throwIfAborted();
				throw new Error(`Could not store ${locationOf(key)}: ${messageOf(error)}`, { cause: error });
			}
			return { key, bytes: counted.bytes() };
		},
		async get(key: string): Promise<Readable> {
			assertSafeKey(key);
			// Opened before returning so a missing key fails here, not later mid-stream.
			const handle = await open(fileOf(key), 'r').catch((error: unknown) => {
				if (isMissing(error)) throw new ObjectNotFoundError(locationOf(key));
				throw new Error(`Could not read ${locationOf(key)}: ${messageOf(error)}`, { cause: error });
			});
			if ((await handle.stat()).isDirectory()) {
				await handle.close();
				throw new ObjectNotFoundError(locationOf(key));
			}
			return handle.createReadStream();
		},
		async stat(key: string): Promise<{ bytes: number } | undefined> {
			assertSafeKey(key);
			const info = await stat(fileOf(key)).catch((error: unknown) => {
				if (isMissing(error)) return undefined;
				throw error;
			});
			return info?.isFile() ? { bytes: info.size } : undefined;
		},
		list(prefix: string): AsyncIterable<{ key: string; bytes: number }> {
			assertSafePrefix(prefix);
			return listFiles(root, prefix);
		}
	};
}

async function* listFiles(root: string, prefix: string): AsyncGenerator<{ key: string; bytes: number }> {
	const entries = await readdir(path.join(root, ...prefix.split('/')), { recursive: true, withFileTypes: true }).catch(
		(error: unknown) => {
			if (isMissing(error)) return [];
			throw error;
		}
	);
	const keys = entries
		.filter((entry) => entry.isFile() && !PARTIAL.test(entry.name))
		.map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
	// S3's order (UTF-8 bytes), not the walk's: `a/b` sorts after `a-c` although the walk meets it first.
	keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
	for (const key of keys) {
		const info = await stat(path.join(root, key)).catch(() => undefined);
		if (info?.isFile()) yield { key, bytes: info.size };
	}
}

function isMissing(error: unknown): boolean {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	return code === 'ENOENT' || code === 'ENOTDIR';
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
