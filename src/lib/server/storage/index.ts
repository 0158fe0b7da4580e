import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectStoreConfig, S3Access } from '../config';
import { assertSafePrefix, createLocalStore } from './local';
import { createS3Store } from './s3';
import type { ObjectStore } from './store';

export { ObjectNotFoundError, type ObjectStore, type PutOptions, type PutResult } from './store';
export { assertSafeKey, createLocalStore } from './local';
export { createS3Store, type S3StoreConfig } from './s3';

/** The store the configuration names (OBJECTS_DIR, or S3_BUCKET and friends). */
export function objectStoreFor(config: ObjectStoreConfig): ObjectStore {
	return config.kind === 'local' ? createLocalStore(config.dir) : createS3Store(config);
}

export type OpenedLocation = { store: ObjectStore; prefix: string };

const S3_LOCATION = /^s3:\/\/([^/]+)\/?(.*)$/;
const ACCEPTED = 's3://bucket/prefix/, file:///absolute/folder/ or a folder path';

/**
 * A location a person typed (`s3://bucket/datasets/x/v3/`, `file:///srv/objects/x/`,
 * `./published/x`) as a store and the prefix under it, ending in `/` or '' for the root.
 * Another bucket is reached with the configured endpoint, region and credentials
 * (the S3_* settings, with or without S3_BUCKET), so a MinIO location works
 * without repeating them; given none, AWS defaults apply.
 */
export function openLocation(location: string, s3Access?: S3Access): OpenedLocation {
	if (!location.trim()) throw new Error(`No location given: use ${ACCEPTED}.`);
	const s3 = S3_LOCATION.exec(location);
	if (s3) {
		const [, bucket = '', key = ''] = s3;
		const settings = s3Access ?? { kind: 's3', region: 'us-east-1', forcePathStyle: false };
		return { store: createS3Store({ ...settings, bucket }), prefix: prefixOf(key, location) };
	}
	if (location.startsWith('file:')) return { store: createLocalStore(fileURLToPath(location)), prefix: '' };
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw new Error(`Unsupported location ${location}: use ${ACCEPTED}.`);
	return { store: createLocalStore(path.resolve(location)), prefix: '' };
}

function prefixOf(key: string, location: string): string {
	const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
	try {
		assertSafePrefix(prefix);
	} catch (error) {
		throw new Error(`Location ${location}: ${(error as Error).message}`, { cause: error });
	}
	return prefix;
}
