import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { PgDialect, type PgDatabase, type PgQueryResultHKT, type PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { mkdirSync } from 'node:fs';
import * as schema from './schema';

/** What domain code is written against: either driver, or a transaction of either. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = PgTransaction<PgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;
export type DbOrTx = Db | Tx;

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dir: string | null };

export type Database = {
	db: Db;
	kind: DatabaseTarget['kind'];
	close(): Promise<void>;
};

/** Opens PostgreSQL (postgres.js pool) or PGlite (in a folder; `dir: null` = in memory). */
export async function openDatabase(target: DatabaseTarget, options: { poolSize?: number } = {}): Promise<Database> {
	if (target.kind === 'postgres') {
		const client = postgres(target.url, {
			max: options.poolSize ?? 10,
			onnotice: () => {},
			connection: { application_name: 'codelynn-studio' }
		});
		return {
			db: drizzlePostgres(client, { schema }) as unknown as Db,
			kind: 'postgres',
			close: () => client.end({ timeout: 5 })
		};
	}
	if (target.dir) mkdirSync(target.dir, { recursive: true });
	const client = target.dir ? await PGlite.create(target.dir) : await PGlite.create();
	return {
		db: drizzlePglite(client, { schema }) as unknown as Db,
		kind: 'pglite',
		close: () => client.close()
	};
}

const dialect = new PgDialect();

/**
 * A query's rows in batches, from a server-side portal on PostgreSQL: the
 * server plans the whole query once (hash joins over the tables, not an
 * index lookup per row) and hands over `batchSize` rows per round trip.
 * PGlite has no portals to stream from: undefined there, and callers page
 * by keyset instead. A transaction (whose client cannot be reached) also
 * gets undefined.
 */
export function streamRows<T>(db: Db, query: SQL, batchSize: number): AsyncIterable<T[]> | undefined {
	const client = (db as unknown as { $client?: unknown }).$client;
	if (typeof client !== 'function' || !('unsafe' in client)) return undefined;
	const { sql: text, params } = dialect.sqlToQuery(query);
	return (client as postgres.Sql).unsafe(text, params as postgres.ParameterOrJSON<never>[]).cursor(batchSize) as AsyncIterable<T[]>;
}
