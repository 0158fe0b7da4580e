/** `npm run db:migrate`: applies committed migrations to the configured database and reports. Safe to repeat. */
import { loadConfig } from '../src/lib/server/config';
import { migrateDatabase, migrationStatus, openDatabase } from '../src/lib/server/db';

const config = loadConfig();
const database = await openDatabase(config.database, { poolSize: 1 });
try {
	await migrateDatabase(database, config.database, config.migrationsDir);
	const status = await migrationStatus(database.db, config.migrationsDir);
	const where = config.database.kind === 'pglite' ? `PGlite at ${config.database.dir}` : 'PostgreSQL (DATABASE_URL)';
	console.log(`${where}: ${status.applied} of ${status.expected} migrations applied${status.pending.length ? `, pending: ${status.pending.join(', ')}` : ''}.`);
	if (status.pending.length) process.exitCode = 1;
} finally {
	await database.close();
}
