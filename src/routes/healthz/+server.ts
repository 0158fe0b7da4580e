import { json } from '@sveltejs/kit';
import { sql } from 'drizzle-orm';
import * as runtime from '$lib/server/runtime';
import { migrationStatus } from '$lib/server/db';
import type { RequestHandler } from './$types';

/** For load balancers and Kubernetes probes: 200 only when the database answers and no migration is pending. */
export const GET: RequestHandler = async () => {
	try {
		const db = runtime.db();
		await db.execute(sql`select 1`);
		const migrations = await migrationStatus(db, runtime.config().migrationsDir);
		const ok = migrations.pending.length === 0;
		return json(
			{ status: ok ? 'ok' : 'migrations pending', database: runtime.databaseKind(), migrations },
			{ status: ok ? 200 : 503, headers: { 'cache-control': 'no-store' } }
		);
	} catch (error) {
		return json(
			{ status: 'database unreachable', error: error instanceof Error ? error.message : String(error) },
			{ status: 503, headers: { 'cache-control': 'no-store' } }
		);
	}
};
