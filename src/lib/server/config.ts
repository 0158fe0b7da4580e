import path from 'node:path';
import { z } from 'zod';

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
	production: boolean;
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
		production: e.NODE_ENV === 'production'
	};
}
