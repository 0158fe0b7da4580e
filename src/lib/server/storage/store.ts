import type { Readable } from 'node:stream';

/**
 * Where published dataset versions live: a local folder (the embedded default)
 * or an S3 / MinIO bucket. Keys are `/`-separated paths such as
 * `datasets/lynn/prefs/v3/manifest.json`; a store never sees `..` or a leading `/`.
 */
export interface ObjectStore {
	/** `file:///abs/dir` or `s3://bucket`: what a person reads to find the objects. */
	readonly root: string;
	/** The full location of one key, e.g. `s3://bucket/datasets/…` or `file:///…/datasets/…`. */
	locationOf(key: string): string;
	/**
	 * Stores a whole object, streaming it. An object becomes visible only once
	 * it is complete: a failed put leaves the key as it was. `signal` aborts it.
	 */
	put(key: string, body: Readable | Uint8Array | string, options?: PutOptions): Promise<PutResult>;
	/** Streams an object; throws ObjectNotFoundError when the key does not exist. */
	get(key: string): Promise<Readable>;
	/** Size of an object, or undefined when it does not exist. */
	stat(key: string): Promise<{ bytes: number } | undefined>;
	/** Every key under a prefix (ending in `/`), in key order. */
	list(prefix: string): AsyncIterable<{ key: string; bytes: number }>;
}

export type PutOptions = { contentType?: string; signal?: AbortSignal };
export type PutResult = { key: string; bytes: number };

export class ObjectNotFoundError extends Error {
	constructor(readonly location: string) {
		super(`No object at ${location}`);
		this.name = 'ObjectNotFoundError';
	}
}
