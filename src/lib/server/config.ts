import path from 'node:path';
import { z } from 'zod';
import { parseAllowedHosts, type EgressPolicy } from './sampling/egress';
import { parseBytes, type BodyLimits } from './body-limits';

const optionalText = z
	.string()
	.trim()
	.optional()
	.transform((value) => (value ? value : undefined));

/** A JSON object in an environment variable (hyperparameter overrides). */
function jsonObject(name: string) {
	return optionalText.transform((value, context): Record<string, unknown> => {
		if (!value) return {};
		try {
			const parsed: unknown = JSON.parse(value);
			if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
		} catch {
			// reported below
		}
		context.addIssue({ code: 'custom', message: `${name} must be a JSON object, e.g. {"learning_rate": 1e-5}` });
		return z.NEVER;
	});
}

/** A size as adapter-node writes BODY_SIZE_LIMIT: bytes, or with K, M or G (powers of 1024), or Infinity. */
function byteSize(name: string, fallback: string) {
	return z
		.string()
		.trim()
		.default(fallback)
		.transform((text, context) => {
			const bytes = parseBytes(text);
			if (bytes !== null && bytes > 0) return { bytes, text };
			context.addIssue({ code: 'custom', message: `${name} must be a size such as 512K, 1M or 64M (or Infinity)` });
			return z.NEVER;
		});
}

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
	QUALITY_REFRESH_SECONDS: z.coerce.number().int().min(5).max(7 * 24 * 3600).default(300),
	OBJECTS_DIR: z.string().trim().min(1).default('./data/objects'),
	S3_BUCKET: optionalText,
	S3_ENDPOINT: optionalText.pipe(z.url('S3_ENDPOINT must be a URL, e.g. http://minio:9000').optional()),
	S3_REGION: z.string().trim().min(1).default('us-east-1'),
	S3_ACCESS_KEY_ID: optionalText,
	S3_SECRET_ACCESS_KEY: optionalText,
	S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
	STORAGE_WEBHOOK_TOKEN: optionalText.pipe(z.string().min(16, 'STORAGE_WEBHOOK_TOKEN must be at least 16 characters').optional()),
	STORAGE_WEBHOOK_URL: optionalText.pipe(z.url('STORAGE_WEBHOOK_URL must be a URL').optional()),
	STORAGE_WEBHOOK_MAX_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
	STORAGE_WEBHOOK_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(120),
	KFP_ENDPOINT: optionalText.pipe(z.url('KFP_ENDPOINT must be a URL, e.g. http://ml-pipeline.kubeflow:8888').optional()),
	KFP_NAMESPACE: optionalText,
	KFP_TOKEN_FILE: z.string().trim().min(1).default('/var/run/secrets/kubeflow/pipelines/token'),
	KFP_UI_URL: optionalText.pipe(z.url('KFP_UI_URL must be a URL').optional()),
	KFP_SERVICE_ACCOUNT: optionalText,
	KFP_PIPELINE_ROOT: optionalText,
	KFP_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(30),
	KFP_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(30),
	KFP_OUTAGE_MINUTES: z.coerce.number().min(0).max(7 * 24 * 60).default(60),
	TRAINING_BASE_MODEL: z.string().trim().min(1).default('Qwen/Qwen2.5-0.5B-Instruct'),
	TRAINING_OUTPUT_URI: optionalText,
	TRAINING_RM_PARAMS: jsonObject('TRAINING_RM_PARAMS'),
	TRAINING_PPO_PARAMS: jsonObject('TRAINING_PPO_PARAMS'),
	SERVING_URL_TEMPLATE: z.string().trim().min(1).default('http://{name}.{namespace}.svc.cluster.local/openai/v1'),
	BODY_SIZE_LIMIT: z.string().trim().default('512K'),
	JSON_BODY_LIMIT: byteSize('JSON_BODY_LIMIT', '1M'),
	FORM_BODY_LIMIT: byteSize('FORM_BODY_LIMIT', '64M'),
	MODEL_ALLOWED_KEY_VARS: optionalText,
	MODEL_ALLOWED_HOSTS: optionalText,
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
	/** While judgments arrive, a persona's newest quality snapshot is at most this old. */
	qualityRefreshSeconds: number;
	/** Where dataset versions are published: a local folder (the default) or an S3 / MinIO bucket. */
	objectStore: ObjectStoreConfig;
	/** S3 endpoint, region, path style and credentials, with or without S3_BUCKET. */
	s3: S3Access;
	storageWebhook: {
		/** MinIO's `auth_token`; unset: a random one per process (only the local store knows it). */
		token: string | undefined;
		/** Where the local store posts manifest events; unset: handed to the receiver in-process. */
		url: string | undefined;
		/** A delivery's body may be this long; MinIO's events are a few KiB. */
		maxBytes: number;
		/** Deliveries one client address may make per minute (a burst of as many, then that rate). */
		ratePerMinute: number;
	};
	training: TrainingConfig;
	models: ModelsConfig;
	/** Largest request bodies the app accepts (the streamed imports have no limit). */
	bodyLimits: BodyLimits;
	/** adapter-node's BODY_SIZE_LIMIT as set (its default 512K): anything but Infinity also caps the streamed imports. */
	adapterBodySizeLimit: string;
	production: boolean;
};

export type ModelsConfig = {
	/** Key variables a model version may name besides MODEL_API_KEY_* (MODEL_ALLOWED_KEY_VARS). */
	keyVariables: readonly string[];
	/** Link-local and metadata hosts model requests may reach after all (MODEL_ALLOWED_HOSTS). */
	egress: EgressPolicy;
};

export type TrainingConfig = {
	/** Kubeflow Pipelines; null: runs are recorded as "Kubeflow not configured" with the request that would be sent. */
	kfp: null | {
		endpoint: string;
		namespace: string | null;
		tokenFile: string;
		uiUrl: string | null;
		serviceAccount: string | null;
		pipelineRoot: string | null;
		timeoutMs: number;
	};
	/** How often a run in progress is looked at. */
	pollMs: number;
	/** How long a chain keeps looking while Kubeflow is unreachable before it stops (and waits to be resumed). */
	outageMs: number;
	baseModel: string;
	/** Where trained models are written: `<outputUri>/<persona>/<dataset>/v<N>/…`. */
	outputUri: string;
	rewardModelParams: Record<string, unknown>;
	ppoParams: Record<string, unknown>;
	/** The serving URL of a trained policy: {name} {namespace} {persona} {dataset} {version}. */
	servingUrlTemplate: string;
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
		qualityRefreshSeconds: e.QUALITY_REFRESH_SECONDS,
		objectStore: objectStoreOf(e),
		s3: s3AccessOf(e),
		storageWebhook: {
			token: e.STORAGE_WEBHOOK_TOKEN,
			url: e.STORAGE_WEBHOOK_URL,
			maxBytes: e.STORAGE_WEBHOOK_MAX_BYTES,
			ratePerMinute: e.STORAGE_WEBHOOK_RATE_PER_MINUTE
		},
		training: {
			kfp: e.KFP_ENDPOINT
				? {
						endpoint: e.KFP_ENDPOINT,
						namespace: e.KFP_NAMESPACE ?? null,
						tokenFile: e.KFP_TOKEN_FILE,
						uiUrl: e.KFP_UI_URL ?? null,
						serviceAccount: e.KFP_SERVICE_ACCOUNT ?? null,
						pipelineRoot: e.KFP_PIPELINE_ROOT ?? null,
						timeoutMs: e.KFP_TIMEOUT_SECONDS * 1000
					}
				: null,
			pollMs: e.KFP_POLL_SECONDS * 1000,
			outageMs: e.KFP_OUTAGE_MINUTES * 60_000,
			baseModel: e.TRAINING_BASE_MODEL,
			outputUri: (e.TRAINING_OUTPUT_URI ?? `s3://${e.S3_BUCKET ?? 'codelynn'}/models`).replace(/\/+$/, ''),
			rewardModelParams: e.TRAINING_RM_PARAMS,
			ppoParams: e.TRAINING_PPO_PARAMS,
			servingUrlTemplate: e.SERVING_URL_TEMPLATE
		},
		models: modelsOf(e),
		bodyLimits: { json: e.JSON_BODY_LIMIT, form: e.FORM_BODY_LIMIT },
		adapterBodySizeLimit: e.BODY_SIZE_LIMIT,
		production: e.NODE_ENV === 'production'
	};
}

/**
 * The platform's own settings can never be listed as a model's key variable: a
 * version's key is sent to a URL an admin types.
 */
function modelsOf(e: z.infer<typeof envSchema>): ModelsConfig {
	const problems: string[] = [];
	const keyVariables = (e.MODEL_ALLOWED_KEY_VARS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
	for (const name of keyVariables) {
		if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) problems.push(`MODEL_ALLOWED_KEY_VARS: "${name}" is not a variable name (capital letters, digits and _)`);
		else if (name in envSchema.shape || /^(PG|AWS_|S3_|KFP_|DATABASE|STORAGE_)/.test(name))
			problems.push(`MODEL_ALLOWED_KEY_VARS: ${name} holds one of the platform's own settings or credentials; a model key needs a variable of its own`);
	}
	let egress: EgressPolicy | undefined;
	try {
		egress = parseAllowedHosts(e.MODEL_ALLOWED_HOSTS);
	} catch (error) {
		problems.push(`MODEL_ALLOWED_HOSTS: ${(error as Error).message}`);
	}
	if (problems.length || !egress) throw new Error(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
	return { keyVariables, egress };
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
