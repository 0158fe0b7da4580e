import {
	AbortMultipartUploadCommand,
	GetObjectCommand,
	HeadObjectCommand,
	paginateListObjectsV2,
	S3Client,
	S3ServiceException
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { ObjectStoreConfig } from '../config';
import { assertSafeKey, assertSafePrefix, countBody } from './local';
import { ObjectNotFoundError, type ObjectStore, type PutOptions, type PutResult } from './store';

export type S3StoreConfig = Extract<ObjectStoreConfig, { kind: 's3' }>;

// Upload buffers at most queueSize × partSize of a streamed body, so a put holds ~16 MiB whatever its size.
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/** An S3 bucket, or MinIO / another S3-compatible server when `endpoint` is set. */
export function createS3Store(config: S3StoreConfig): ObjectStore {
	const { bucket } = config;
	const client = new S3Client({
		region: config.region,
		endpoint: config.endpoint,
		forcePathStyle: config.forcePathStyle,
		credentials: config.credentials,
		// The SDK's default (CRC32 trailers in aws-chunked bodies) is stored verbatim by
		// s3rver and older MinIO, corrupting objects; checksums only where S3 insists.
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED'
	});
	const locationOf = (key: string): string => `s3://${bucket}/${key}`;
	const failure = (error: unknown, action: string, location: string, cleanupFailure?: unknown): Error =>
		describeFailure({ error, action, location, endpoint: config.endpoint, cleanupFailure });

	return {
		root: `s3://${bucket}`,
		locationOf,
		async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
			assertSafeKey(key);
			const { signal } = options;
			signal?.throwIfAborted();
			const counted = countBody(body);
			const requests = trackRequests(client, signal);
			const upload = new Upload({
				client: requests.client,
				params: { Bucket: bucket, Key: key, Body: counted.body, ContentType: options.contentType },
				partSize: PART_BYTES,
				queueSize: PARTS_IN_FLIGHT,
				leavePartsOnError: false
			});
			const abort = (): void => {
				void upload.abort();
				// Upload stops waiting on abort but not reading: free the source so it is not left hanging.
				if (counted.body instanceof Readable) counted.body.destroy(signal?.reason);
			};
			signal?.addEventListener('abort', abort, { once: true });
			try {
				await upload.done();
			} catch (error) {
				signal?.throwIfAborted();
				// The first thing that went wrong, not what Upload rethrows (see trackRequests).
				const cause = requests.failure() ?? counted.sourceFailure() ?? error;
				throw failure(cause, 'put', locationOf(key), requests.cleanupFailure());
			} finally {
				signal?.removeEventListener('abort', abort);
			}
			return { key, bytes: counted.bytes() };
		},
		async get(key: string): Promise<Readable> {
			assertSafeKey(key);
			try {
				const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
				if (!(Body instanceof Readable)) throw new Error('the response has no readable body');
				return Body;
			} catch (error) {
				if (isMissingKey(error)) throw new ObjectNotFoundError(locationOf(key));
				throw failure(error, 'get', locationOf(key));
			}
		},
		async stat(key: string): Promise<{ bytes: number } | undefined> {
			assertSafeKey(key);
			try {
				const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
				return { bytes: head.ContentLength ?? 0 };
			} catch (error) {
				if (isMissingKey(error)) return undefined;
				throw failure(error, 'stat', locationOf(key));
			}
		},
		list(prefix: string): AsyncIterable<{ key: string; bytes: number }> {
			assertSafePrefix(prefix);
			return listKeys(client, bucket, prefix, (error) => failure(error, 'list', locationOf(prefix)));
		}
	};
}

async function* listKeys(
	client: S3Client,
	bucket: string,
	prefix: string,
	failure: (error: unknown) => Error
): AsyncGenerator<{ key: string; bytes: number }> {
	try {
		for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
			for (const object of page.Contents ?? []) {
				if (object.Key) yield { key: object.Key, bytes: object.Size ?? 0 };
			}
		}
	} catch (error) {
		throw failure(error);
	}
}

type TrackedRequests = { client: S3Client; failure(): unknown; cleanupFailure(): unknown };

/**
 * The client one Upload sends through. Upload neither passes the abort signal to its
 * requests (an in-flight PutObject would still land after an abort) nor keeps its first
 * error when discarding the parts fails too (s3rver has no AbortMultipartUpload, and a
 * policy may lack it): the failure a person needs would be replaced by the clean-up's.
 */
function trackRequests(client: S3Client, signal: AbortSignal | undefined): TrackedRequests {
	let failure: unknown;
	let cleanupFailure: unknown;
	const send = async (command: Parameters<S3Client['send']>[0]): Promise<unknown> => {
		const cleanup = command instanceof AbortMultipartUploadCommand;
		try {
			// The clean-up must still run after an abort, so it alone ignores the signal.
			return await client.send(command, { abortSignal: cleanup ? undefined : signal });
		} catch (error) {
			if (cleanup) cleanupFailure = error;
			else failure ??= error;
			throw error;
		}
	};
	const tracked = new Proxy(client, { get: (target, name) => (name === 'send' ? send : Reflect.get(target, name)) });
	return { client: tracked, failure: () => failure, cleanupFailure: () => cleanupFailure };
}

/** A 404 for the key; a missing bucket is a configuration problem and stays an error (HEAD cannot tell them apart). */
function isMissingKey(error: unknown): boolean {
	return (
		error instanceof S3ServiceException &&
		error.name !== 'NoSuchBucket' &&
		(error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
	);
}

const HINTS: Record<string, string> = {
	NoSuchBucket: 'check S3_BUCKET, or create the bucket',
	AccessDenied: 'check that S3_ACCESS_KEY_ID may read and write this bucket',
	InvalidAccessKeyId: 'check S3_ACCESS_KEY_ID',
	SignatureDoesNotMatch: 'check S3_SECRET_ACCESS_KEY (and S3_REGION)',
	PermanentRedirect: 'check S3_REGION, or S3_FORCE_PATH_STYLE for MinIO',
	ECONNREFUSED: 'check that S3_ENDPOINT is right and the server is running',
	ENOTFOUND: 'check the host name in S3_ENDPOINT'
};

type Failure = { error: unknown; action: string; location: string; endpoint?: string; cleanupFailure?: unknown };

/** The S3 error code and message, which object, and what to try: what a person needs to fix it. */
function describeFailure({ error, action, location, endpoint, cleanupFailure }: Failure): Error {
	const hint = HINTS[codeOf(error) ?? ''];
	const leftover = cleanupFailure === undefined ? undefined : `its uploaded parts could not be discarded (${detailOf(cleanupFailure)})`;
	const advice = [hint, leftover].map((part) => (part ? `; ${part}` : '')).join('');
	const where = endpoint ? ` at ${endpoint}` : '';
	return new Error(`S3 ${action} of ${location}${where} failed: ${detailOf(error)}${advice}`, { cause: error });
}

function codeOf(error: unknown): string | undefined {
	return error instanceof S3ServiceException ? error.name : (error as NodeJS.ErrnoException | undefined)?.code;
}

function detailOf(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	if (!(error instanceof S3ServiceException)) return error.message;
	const status = error.$metadata.httpStatusCode;
	return `${error.name}: ${error.message}${status ? ` (HTTP ${status})` : ''}`;
}
