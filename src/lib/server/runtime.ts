import { loadConfig, type Config } from './config';
import { openDatabase, migrateDatabase, type Database, type Db } from './db';
import { log } from './log';
import { objectStoreFor, type ObjectStore } from './storage';
import { randomBytes } from 'node:crypto';
import { createKfpClient, type KfpClient } from './kubeflow/client';
import { LOCAL_BUCKET } from './training/notify';

/**
 * The one database the running app uses. Opened by `hooks.server.ts` `init`
 * (or by a CLI script, or a test via `useDatabase`), closed on shutdown.
 */
let current: { database: Database; config: Config } | undefined;

export function db(): Db {
	if (!current) throw new Error('The database is not open: call runtime.start() (or useDatabase in tests) first.');
	return current.database.db;
}

export function config(): Config {
	return current?.config ?? loadConfig();
}

let store: { config: Config['objectStore']; store: ObjectStore } | undefined;

/**
 * The configured object store (a local folder unless S3_BUCKET is set). The
 * platform announces a local folder's manifests itself (training/notify.ts).
 */
export function objectStore(): ObjectStore {
	const wanted = config().objectStore;
	if (store?.config !== wanted) store = { config: wanted, store: objectStoreFor(wanted) };
	return store.store;
}

/** The bucket whose events the webhook acts on. */
export function storageBucket(): string {
	const wanted = config().objectStore;
	return wanted.kind === 's3' ? wanted.bucket : LOCAL_BUCKET;
}

let randomToken: string | undefined;

/** STORAGE_WEBHOOK_TOKEN, or one made up for this process (then only the local store can deliver). */
export function webhookToken(): string {
	return config().storageWebhook.token ?? (randomToken ??= randomBytes(32).toString('hex'));
}

let kfp: { config: Config['training']['kfp']; client: KfpClient | null } | undefined;

/** The Kubeflow Pipelines client, or null without KFP_ENDPOINT. */
export function kfpClient(): KfpClient | null {
	const wanted = config().training.kfp;
	if (kfp?.config !== wanted)
		kfp = {
			config: wanted,
			client: wanted
				? createKfpClient({ endpoint: wanted.endpoint, tokenFile: wanted.tokenFile, namespace: wanted.namespace, timeoutMs: wanted.timeoutMs })
				: null
		};
	return kfp.client;
}

export function databaseKind(): Database['kind'] {
	if (!current) throw new Error('The database is not open.');
	return current.database.kind;
}

/** Opens the configured database and applies pending migrations. Idempotent. */
export async function start(cfg: Config = loadConfig()): Promise<Database> {
	if (current) return current.database;
	const database = await openDatabase(cfg.database, { poolSize: cfg.poolSize });
	try {
		await migrateDatabase(database, cfg.database, cfg.migrationsDir);
	} catch (error) {
		await database.close();
		throw error;
	}
	current = { database, config: cfg };
	log.info({ database: cfg.database.kind }, 'database ready');
	return database;
}

/** For tests and scripts that opened a database themselves. */
export function useDatabase(database: Database, cfg: Config = loadConfig()): void {
	current = { database, config: cfg };
}

export async function stop(): Promise<void> {
	const closing = current;
	current = undefined;
	if (closing) await closing.database.close();
}
