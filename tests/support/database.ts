import path from 'node:path';
import postgres from 'postgres';
import { openDatabase, migrateDatabase, type Database } from '../../src/lib/server/db';

const MIGRATIONS = path.resolve('drizzle');

export type TestDatabase = Database & { name: string };

/**
 * A clean, migrated database for one test file: an in-memory PGlite, or a
 * fresh database on the server in TEST_DATABASE_URL (dropped on close).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
	if (process.env.TEST_DB !== 'postgres') {
		const database = await openDatabase({ kind: 'pglite', dir: null });
		await migrateDatabase(database, { kind: 'pglite', dir: null }, MIGRATIONS);
		return { ...database, name: 'pglite:memory' };
	}
	const adminUrl = process.env.TEST_DATABASE_URL;
	if (!adminUrl) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL');
	const name = `codelynn_test_${process.pid}_${crypto.randomUUID().slice(0, 8)}`;
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database "${name}"`);
	await admin.end();
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	const target = { kind: 'postgres', url: url.toString() } as const;
	const database = await openDatabase(target, { poolSize: 25 });
	await migrateDatabase(database, target, MIGRATIONS);
	return {
		...database,
		name,
		async close() {
			await database.close();
			const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
			await dropper.unsafe(`drop database if exists "${name}" with (force)`);
			await dropper.end();
		}
	};
}
