import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { openDatabase, migrateDatabase, type Database } from '../../src/lib/server/db';

const MIGRATIONS = path.resolve('drizzle');

export type TestDatabase = Database & { name: string };

/** Which database the current vitest project runs against (see vite.config.ts). */
export function testDatabaseKind(): 'pglite' | 'postgres' {
	return process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

/** An empty database (no tables) on the server in TEST_DATABASE_URL; `drop` removes it. */
export async function createScratchPostgres(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
	const adminUrl = process.env.TEST_DATABASE_URL;
	if (!adminUrl) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL');
	const name = `codelynn_test_${process.pid}_${crypto.randomUUID().slice(0, 8)}`;
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database "${name}"`);
	await admin.end();
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		name,
		async drop() {
			const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
			await dropper.unsafe(`drop database if exists "${name}" with (force)`);
			await dropper.end();
		}
	};
}

/** An empty folder for an on-disk PGlite; `remove` deletes it. */
export function createScratchFolder(): { dir: string; remove(): void } {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'codelynn-test-'));
	return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An empty database for a production server this test file starts, as the
 * settings that select it (PGLITE_DIR or DATABASE_URL); `remove` deletes it.
 */
export async function createServerDatabase(): Promise<{ env: Record<string, string>; remove(): Promise<void> | void }> {
	if (testDatabaseKind() === 'pglite') {
		const folder = createScratchFolder();
		return { env: { PGLITE_DIR: folder.dir }, remove: folder.remove };
	}
	const scratch = await createScratchPostgres();
	return { env: { DATABASE_URL: scratch.url }, remove: scratch.drop };
}

/**
 * A clean, migrated database for one test file: an in-memory PGlite, or a
 * fresh database on the server in TEST_DATABASE_URL (dropped on close).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
	if (testDatabaseKind() === 'pglite') {
		const database = await openDatabase({ kind: 'pglite', dir: null });
		await migrateDatabase(database, { kind: 'pglite', dir: null }, MIGRATIONS);
		return { ...database, name: 'pglite:memory' };
	}
	const scratch = await createScratchPostgres();
	const target = { kind: 'postgres', url: scratch.url } as const;
	const database = await openDatabase(target, { poolSize: 25 });
	await migrateDatabase(database, target, MIGRATIONS);
	return {
		...database,
		name: scratch.name,
		async close() {
			await database.close();
			await scratch.drop();
		}
	};
}
