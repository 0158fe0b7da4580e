/**
 * Publishes the next version of a dataset from the command line: freezes its
 * rows, writes its files to the configured object store (a local folder, or
 * S3 / MinIO with S3_BUCKET), manifest last, and prints where it went.
 *
 *   npm run export -- --dataset NAME [--persona SLUG]
 *
 * NAME is the dataset's slug or its name. The version is made exactly as the
 * Publish button makes it (same job, same code); a failed version can be
 * retried from its page. Exit 0: published; 1: failed (why is printed);
 * 2: the command itself is wrong.
 * With PGlite, stop the server first: an embedded database has one owner at a time.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/lib/server/config';
import { migrateDatabase, openDatabase } from '../src/lib/server/db';
import { findDataset } from '../src/lib/server/datasets/definitions';
import { createVersion, getVersion, PUBLISH_JOB } from '../src/lib/server/datasets/versions';
import { publishJobHandler } from '../src/lib/server/datasets/job';
import { announceNow } from '../src/lib/server/training/notify';
import { runNext, newWorkerId } from '../src/lib/server/jobs/runner';
import * as runtime from '../src/lib/server/runtime';
import { FieldError, NotFoundError } from '../src/lib/server/errors';

const usage = 'usage: npm run export -- --dataset NAME [--persona SLUG]';

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

const { values } = (() => {
	try {
		return parseArgs({ options: { dataset: { type: 'string' }, persona: { type: 'string' }, help: { type: 'boolean' } } });
	} catch (error) {
		fail(`${(error as Error).message}\n${usage}`);
	}
})();
if (values.help || !values.dataset) fail(usage);

const config = loadConfig();
const database = await openDatabase(config.database, { poolSize: 4 });
// The app's own store; a local folder's new manifest is announced to the webhook receiver, as MinIO would.
runtime.useDatabase(database, config);
const store = runtime.objectStore();
let exitCode = 0;
try {
	await migrateDatabase(database, config.database, config.migrationsDir);
	const definition = await findDataset(database.db, values.dataset, values.persona);
	const started = performance.now();
	const created = await createVersion(database.db, definition.id, { id: null }, { undoSeconds: config.undoSeconds });
	const frozen = Object.entries(created.counts)
		.map(([kind, split]) => `${kind} ${split.train}/${split.test}`)
		.join(', ');
	console.log(`${definition.personaSlug}/${definition.slug} v${created.version}: rows frozen (train/test: ${frozen})`);
	let file = '';
	const handler = publishJobHandler(
		() => store,
		(progress) => {
			if (progress.file === file) return;
			file = progress.file;
			console.log(`  ${progress.filesDone}/${progress.files} files, ${progress.rowsWritten}/${progress.rows} rows: writing ${file}`);
		}
	);
	await runNext(database.db, newWorkerId(), { [PUBLISH_JOB]: handler }, undefined, created.jobId);
	const version = await getVersion(database.db, created.id);
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	if (version.status === 'published') {
		console.log(`published v${version.version} in ${seconds} s: ${store.locationOf(version.objectPrefix)}`);
		const announced = await announceNow(database.db, version.id, { store, token: runtime.webhookToken(), url: config.storageWebhook.url });
		if (announced?.status === 'succeeded') console.log('announced to the storage webhook: training starts from there');
		else if (announced) console.log(`not announced yet (${String(announced.progress.lastError)}): the app's worker keeps trying`);
		console.log(`check it with: npm run dataset:verify -- ${store.locationOf(version.objectPrefix)}`);
	} else {
		console.error(`v${version.version} ${version.status}: ${version.error ?? 'see the job page'}`);
		exitCode = 1;
	}
} catch (error) {
	if (error instanceof NotFoundError || error instanceof FieldError) {
		console.error(error.message);
		exitCode = 2;
	} else throw error;
} finally {
	await database.close();
}
process.exit(exitCode);
