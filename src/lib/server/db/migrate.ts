import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import postgres from 'postgres';
import type { Database, DatabaseTarget, Db } from './client';

/** Any number, as long as every instance of the app uses the same one. */
const MIGRATION_LOCK_ID = 7_310_742_001;

/**
 * Applies the committed SQL in `migrationsDir`. Safe to run again and from
 * several instances at once: on PostgreSQL an advisory lock serialises them,
 * and drizzle skips migrations already recorded in drizzle.__drizzle_migrations.
 */
export async function migrateDatabase(database: Database, target: DatabaseTarget, migrationsDir: string): Promise<void> {
	if (target.kind === 'pglite') {
		await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: migrationsDir });
		return;
	}
	// A pool of one, so the advisory lock and the migration share a session.
	const client = postgres(target.url, { max: 1, onnotice: () => {} });
	try {
		await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
		await migratePostgres(drizzlePostgres(client), { migrationsFolder: migrationsDir });
		await client`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
	} finally {
		await client.end({ timeout: 5 });
	}
}

type Journal = { entries: Array<{ tag: string; when: number }> };

export type MigrationStatus = { expected: number; applied: number; pending: string[] };

/** Compares the committed journal with what the database has recorded. */
export async function migrationStatus(db: Db, migrationsDir: string): Promise<MigrationStatus> {
	const journal = JSON.parse(readFileSync(path.join(migrationsDir, 'meta', '_journal.json'), 'utf8')) as Journal;
	const exists = await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
	const applied = new Set<number>();
	if (rowsOf<{ present: boolean }>(exists)[0]?.present) {
		const rows = await db.execute(sql`select created_at from drizzle.__drizzle_migrations`);
		for (const row of rowsOf<{ created_at: string | number }>(rows)) applied.add(Number(row.created_at));
	}
	const pending = journal.entries.filter((entry) => !applied.has(entry.when)).map((entry) => entry.tag);
	return { expected: journal.entries.length, applied: applied.size, pending };
}

/** postgres.js returns an array; PGlite returns `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
	return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}
