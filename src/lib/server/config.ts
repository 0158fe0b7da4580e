import path from 'node:path';
import { z } from 'zod';

const optionalText = z
	.string()
	.trim()
	.optional()
	.transform((value) => (value ? value : undefined));

/**
 * Every setting the platform reads from the environment, parsed once.
 * The README's configuration table mirrors this schema: keep them in step.
 */
const envSchema = z.object({
	DATABASE_URL: z
		.string()
		.trim()
		.regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
		.optional()
		.or(z.literal('').transform(() => undefined)),
	DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
	PGLITE_DIR: z.string().trim().min(1).default('./data/pglite'),
	MIGRATIONS_DIR: z.string().trim().min(1).default('./drizzle'),
	DEMO_WORKSPACE: z.enum(['auto', 'on', 'off']).default('auto'),
	JOBS_WORKER: z.enum(['on', 'off']).default('on'),
	LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
	SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
	LEASE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(20),
	UNDO_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
	OBJECTS_DIR: z.string().trim().min(1).default('./data/objects'),
	S3_BUCKET: optionalText,
	S3_ENDPOINT: optionalText.pipe(z.url('S3_ENDPOINT must be a URL, e.g. http://minio:9000').optional()),
	S3_REGION: z.string().trim().min(1).default('us-east-1'),
	S3_ACCESS_KEY_ID: optionalText,
	S3_SECRET_ACCESS_KEY: optionalText,
	S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
	NODE_ENV: z.string().optional()
});

export type Config = {
	database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dir: string };
	/** Connections in the postgres.js pool (PostgreSQL only). */
	poolSize: number;
	migrationsDir: string;
	demoWorkspace: 'auto' | 'on' | 'off';
	/** Whether this instance runs background jobs (sampling, …). */
	jobsWorker: boolean;
	logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
	sessionDays: number;
	/** How long a handed-out pair stays reserved for its annotator. */
	leaseMinutes: number;
	/** How long after submitting an annotator may take a judgment back. */
	undoSeconds: number;
	/** Where dataset versions are published: a local folder (the default) or an S3 / MinIO bucket. */
	objectStore: ObjectStoreConfig;
	/** S3 endpoint, region, path style and credentials, with or without S3_BUCKET. */
	s3: S3Access;
	production: boolean;
};

export type ObjectStoreConfig = { kind: 'local'; dir: string } | (S3Access & { bucket: string });

export type S3Access = {
	kind: 's3';
	/** MinIO or another S3-compatible server; unset for AWS S3. */
	endpoint?: string;
	region: string;
	/** MinIO usually needs path-style addressing (http://host:9000/bucket/key). */
	forcePathStyle: boolean;
	/** Unset: the AWS SDK's default chain (env, profile, instance role). */
	credentials?: { accessKeyId: string; secretAccessKey: string };
};

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
	const parsed = envSchema.safeParse(env);
	if (!parsed.success) {
		const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
		throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
	}
	const e = parsed.data;
	return {
		database: e.DATABASE_URL
			? { kind: 'postgres', url: e.DATABASE_URL }
			: { kind: 'pglite', dir: path.resolve(e.PGLITE_DIR) },
		poolSize: e.DATABASE_POOL_SIZE,
		migrationsDir: path.resolve(e.MIGRATIONS_DIR),
		demoWorkspace: e.DEMO_WORKSPACE,
		jobsWorker: e.JOBS_WORKER === 'on',
		logLevel: e.LOG_LEVEL,
		sessionDays: e.SESSION_DAYS,
		leaseMinutes: e.LEASE_MINUTES,
		undoSeconds: e.UNDO_SECONDS,
		objectStore: objectStoreOf(e),
		s3: s3AccessOf(e),
		production: e.NODE_ENV === 'production'
	};
}

function objectStoreOf(e: z.infer<typeof envSchema>): ObjectStoreConfig {
	if (!e.S3_BUCKET) return { kind: 'local', dir: path.resolve(e.OBJECTS_DIR) };
	return { ...s3AccessOf(e), bucket: e.S3_BUCKET };
}

/** How to reach S3 / MinIO, bucket aside: `dataset:verify s3://…` uses it even where the platform publishes to a folder. */
function s3AccessOf(e: z.infer<typeof envSchema>): S3Access {
	if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY))
		throw new Error('Invalid configuration:\n  S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both or neither');
	return {
		kind: 's3',
		endpoint: e.S3_ENDPOINT,
		region: e.S3_REGION,
		forcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
		credentials:
			e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
				? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
				: undefined
	};
}
