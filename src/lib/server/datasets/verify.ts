import { createHash } from 'node:crypto';
import { text as streamText } from 'node:stream/consumers';
import { parquetMetadata } from 'hyparquet';
import type { ObjectStore } from '../storage';
import { MANIFEST, parseManifest, type Manifest } from './manifest';
import type { ManifestFile } from './files';

/**
 * Checks a published version wherever it is (this platform's store, a copy in
 * another bucket, a download on a laptop): reads its manifest, streams every
 * file it lists, and compares bytes, SHA-256 and rows. Memory stays flat: a
 * file is hashed as it streams, and of a Parquet file only the tail (where
 * the footer with the row count lives) is kept.
 */

export type FileCheck = { path: string; problems: string[]; bytes: number; rows: number | null; sha256: string };
export type Verification = { location: string; manifest: Manifest; files: FileCheck[]; unlisted: string[]; ok: boolean };

/** Footers of our files are a few kilobytes; 8 MiB leaves room for files with thousands of row groups. */
const PARQUET_TAIL = 8 * 1024 * 1024;
const NEWLINE = 0x0a;

class Tail {
	private chunks: Buffer[] = [];
	private size = 0;
	push(chunk: Buffer): void {
		this.chunks.push(chunk);
		this.size += chunk.byteLength;
		while (this.chunks.length > 1 && this.size - this.chunks[0]!.byteLength >= PARQUET_TAIL) this.size -= this.chunks.shift()!.byteLength;
	}
	bytes(): Buffer {
		return Buffer.concat(this.chunks);
	}
}

async function checkFile(store: ObjectStore, prefix: string, expected: ManifestFile): Promise<FileCheck> {
	const hash = createHash('sha256');
	const tail = new Tail();
	let bytes = 0;
	let newlines = 0;
	let last = NEWLINE;
	for await (const chunk of await store.get(prefix + expected.path)) {
		const buffer = chunk as Buffer;
		hash.update(buffer);
		bytes += buffer.byteLength;
		if (expected.format === 'jsonl') {
			for (let at = buffer.indexOf(NEWLINE); at !== -1; at = buffer.indexOf(NEWLINE, at + 1)) newlines++;
			if (buffer.byteLength) last = buffer[buffer.byteLength - 1]!;
		} else if (expected.format === 'parquet') tail.push(buffer);
	}
	const rows = expected.format === 'jsonl' ? newlines + (last === NEWLINE ? 0 : 1) : expected.format === 'parquet' ? parquetRows(tail.bytes()) : null;
	const sha256 = hash.digest('hex');
	const problems: string[] = [];
	if (bytes !== expected.bytes) problems.push(`${bytes} bytes, the manifest says ${expected.bytes}`);
	if (sha256 !== expected.sha256) problems.push(`SHA-256 ${sha256}, the manifest says ${expected.sha256}`);
	if (rows !== expected.rows) problems.push(`${rows ?? 'no'} rows, the manifest says ${expected.rows ?? 'none'}`);
	return { path: expected.path, problems, bytes, rows, sha256 };
}

function parquetRows(tail: Buffer): number | null {
	try {
		return Number(parquetMetadata(new Uint8Array(tail.buffer, tail.byteOffset, tail.byteLength)).num_rows);
	} catch {
		return null;
	}
}

export async function verifyVersion(
	store: ObjectStore,
	prefix: string,
	options: { onFile?: (check: FileCheck) => void } = {}
): Promise<Verification> {
	const location = store.locationOf(prefix + MANIFEST);
	const manifest = parseManifest(await streamText(await store.get(prefix + MANIFEST)), location);
	const files: FileCheck[] = [];
	for (const expected of manifest.files) {
		let check: FileCheck;
		try {
			check = await checkFile(store, prefix, expected);
		} catch (error) {
			check = { path: expected.path, problems: [(error as Error).message], bytes: 0, rows: null, sha256: '' };
		}
		options.onFile?.(check);
		files.push(check);
	}
	const listed = new Set([MANIFEST, ...manifest.files.map((f) => f.path)]);
	const unlisted: string[] = [];
	for await (const object of store.list(prefix)) {
		const path = object.key.slice(prefix.length);
		if (!listed.has(path)) unlisted.push(path);
	}
	return { location: store.locationOf(prefix), manifest, files, unlisted, ok: unlisted.length === 0 && files.every((f) => f.problems.length === 0) };
}
