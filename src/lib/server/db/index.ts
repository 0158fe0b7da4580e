export * as schema from './schema';
export { openDatabase, streamRows, type Database, type DatabaseTarget, type Db, type DbOrTx, type Tx } from './client';
export { migrateDatabase, migrationStatus, rowsOf, type MigrationStatus } from './migrate';
