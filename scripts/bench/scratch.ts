import path from 'node:path';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, type Database } from '../../src/lib/server/db';

/*
 * What the benchmarks share: a scratch PostgreSQL database and the median
 * of timed runs.
 */

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
	const started = performance.now();
	const result = await work();
	return { ms: performance.now() - started, result };
}

export async function medianOf(runs: number, work: () => Promise<unknown>): Promise<number> {
	const times: number[] = [];
	for (let i = 0; i < runs; i++) times.push((await timed(work)).ms);
	return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/**
 * Runs `work` on a migrated scratch database made on the server at
 * `adminUrl` (which must be allowed to create databases), dropped afterwards.
 */
export async function onScratchPostgres<T>(adminUrl: string, prefix: string, work: (database: Database, url: string) => Promise<T>): Promise<T> {
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	const name = `${prefix}_${process.pid}`;
	await admin.unsafe(`create database "${name}"`);
	const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
	const database = await openDatabase({ kind: 'postgres', url }, { poolSize: 4 });
	try {
		await migrateDatabase(database, { kind: 'postgres', url }, path.resolve('drizzle'));
		return await work(database, url);
	} finally {
		await database.close();
		await admin.unsafe(`drop database if exists "${name}" with (force)`);
		await admin.end();
	}
}
