import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Db } from '../db';
import type { ObjectStore } from '../storage';
import { jsonlLine } from './formats/jsonl';
import { encodeParquet } from './formats/parquet';
import { readRows } from './read';
import type { RowFileKind, RowOf } from './rows';
import type { DatasetSpec, Split } from './spec';

/**
 * The files of a version (layout: README.md, "Publishing datasets"): one JSONL and one
 * Parquet file per content kind and split, and votes.jsonl. Each is streamed
 * from the frozen rows through its encoder into the store, hashed on the way.
 */

export type FileFormat = 'jsonl' | 'parquet';

export type FilePlan = { path: string; kind: RowFileKind; split: Split | null; format: FileFormat };

/** What the manifest says of each file; verification checks every field. */
export type ManifestFile = {
	path: string;
	kind: RowFileKind | 'card';
	split: Split | null;
	format: FileFormat | 'markdown';
	/** Data rows; null for the card. */
	rows: number | null;
	bytes: number;
	sha256: string;
};

const folders: Record<Exclude<RowFileKind, 'vote'>, string> = { preference: 'preference', sft: 'sft', prompt: 'prompts' };

export function planFiles(spec: DatasetSpec): FilePlan[] {
	const kinds: Array<Exclude<RowFileKind, 'vote'>> = [];
	if (spec.contents.preferences) kinds.push('preference');
	if (spec.contents.sft) kinds.push('sft');
	if (spec.contents.prompts) kinds.push('prompt');
	const plans: FilePlan[] = [];
	const each = (format: FileFormat) => {
		for (const kind of kinds)
			for (const split of ['train', 'test'] as const) plans.push({ path: `${folders[kind]}/${split}.${format}`, kind, split, format });
	};
	// All JSONL first (what most consumers read), then Parquet.
	each('jsonl');
	if (spec.contents.preferences) plans.push({ path: 'votes.jsonl', kind: 'vote', split: null, format: 'jsonl' });
	each('parquet');
	return plans;
}

export const contentTypes: Record<ManifestFile['format'] | 'json', string> = {
	jsonl: 'application/x-ndjson',
	parquet: 'application/vnd.apache.parquet',
	markdown: 'text/markdown; charset=utf-8',
	json: 'application/json'
};

async function* jsonlChunks<K extends RowFileKind>(batches: AsyncIterable<RowOf<K>[]>): AsyncGenerator<Uint8Array> {
	for await (const batch of batches) yield Buffer.from(batch.map(jsonlLine).join(''));
}

/** Hashes and measures bytes as they pass, without holding them. */
class Tally {
	readonly hash = createHash('sha256');
	bytes = 0;
	rows = 0;

	async *bytesOf(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
		for await (const chunk of chunks) {
			this.hash.update(chunk);
			this.bytes += chunk.byteLength;
			yield chunk;
		}
	}

	async *rowsOf<T>(batches: AsyncIterable<T[]>, onRows: (rows: number) => void): AsyncGenerator<T[]> {
		for await (const batch of batches) {
			this.rows += batch.length;
			onRows(batch.length);
			yield batch;
		}
	}
}

export type WriteContext = { db: Db; store: ObjectStore; versionId: string; prefix: string; margins: boolean; signal?: AbortSignal };

/** Streams one planned file into the store; `onRows` hears of every batch (the progress bar). */
export async function writeRowFile(context: WriteContext, plan: FilePlan, onRows: (rows: number) => void): Promise<ManifestFile> {
	const tally = new Tally();
	const batches = tally.rowsOf(
		readRows(context.db, { versionId: context.versionId, kind: plan.kind, split: plan.split ?? undefined, margins: context.margins }),
		onRows
	);
	const chunks = plan.format === 'jsonl' ? jsonlChunks(batches) : encodeParquet(plan.kind, batches, { margin: context.margins && plan.kind === 'preference' });
	await context.store.put(context.prefix + plan.path, Readable.from(tally.bytesOf(chunks), { objectMode: false }), {
		contentType: contentTypes[plan.format],
		signal: context.signal
	});
	return { path: plan.path, kind: plan.kind, split: plan.split, format: plan.format, rows: tally.rows, bytes: tally.bytes, sha256: tally.hash.digest('hex') };
}

/** A small text file (the card): stored whole, described like the others. */
export async function writeTextFile(context: WriteContext, path: string, text: string): Promise<ManifestFile> {
	const body = Buffer.from(text);
	await context.store.put(context.prefix + path, body, { contentType: contentTypes.markdown, signal: context.signal });
	return { path, kind: 'card', split: null, format: 'markdown', rows: null, bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
}
