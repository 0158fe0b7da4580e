/**
 * Imports from the command line, for files too big to upload. The file is
 * streamed; every line is checked, and one bad line means nothing is imported.
 *
 *   npm run import -- prompts FILE [--persona SLUG] [--format jsonl|csv]
 *   npm run import -- candidates FILE [--persona SLUG]
 *
 * The persona defaults to the first by name. Exit 0: imported; 1: refused
 * (the bad lines are listed); 2: the command itself is wrong.
 * With PGlite, stop the server first: an embedded database has one owner at a time.
 */
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/lib/server/config';
import { migrateDatabase, openDatabase } from '../src/lib/server/db';
import { findPersona } from '../src/lib/server/personas/find';
import { NotFoundError } from '../src/lib/server/errors';
import { formatOf, importFormats, type ImportSummary } from '../src/lib/server/imports/lines';
import * as promptImport from '../src/lib/server/imports/prompts';
import * as candidateImport from '../src/lib/server/imports/candidates';

const usage = `usage:
  npm run import -- prompts FILE [--persona SLUG] [--format jsonl|csv]
  npm run import -- candidates FILE [--persona SLUG]`;

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

const { positionals, values } = (() => {
	try {
		return parseArgs({
			allowPositionals: true,
			options: { persona: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean' } }
		});
	} catch (error) {
		fail(`${(error as Error).message}\n${usage}`);
	}
})();

const [kind, file, ...extra] = positionals;
if (values.help || !kind) fail(usage);
if (kind !== 'prompts' && kind !== 'candidates') fail(`"${kind}" is not something to import: prompts or candidates.\n${usage}`);
if (!file) fail(`Name the file to import.\n${usage}`);
if (extra.length) fail(`One file at a time (also got: ${extra.join(' ')}).`);
if (values.format !== undefined && !(importFormats as readonly string[]).includes(values.format))
	fail(`--format: "${values.format}" is not one of ${importFormats.join(', ')}.`);
const format = formatOf(file, values.format);
if (kind === 'candidates' && format === 'csv') fail(`${values.format ? '--format' : file}: candidates are imported from JSONL only.`);
if (kind === 'prompts' && !format) fail(`--format: "${path.basename(file)}" does not end in .jsonl or .csv; say which it is with --format jsonl|csv.`);
try {
	if (!statSync(file).isFile()) fail(`${file}: not a file.`);
} catch {
	fail(`${file}: no such file.`);
}

function printRefusal(result: ImportSummary): void {
	const bad = result.errors.length + result.moreErrors;
	console.error(`Refused: ${bad} bad line${bad === 1 ? '' : 's'} in ${file}; nothing was imported.`);
	for (const error of result.errors) console.error(`  line ${error.line}: ${error.message}`);
	if (result.moreErrors) console.error(`  …and ${result.moreErrors} more bad lines, not listed.`);
}

const config = loadConfig();
const database = await openDatabase(config.database, { poolSize: 2 });
let exitCode = 0;
try {
	await migrateDatabase(database, config.database, config.migrationsDir);
	const persona = await findPersona(database.db, values.persona);
	const source = createReadStream(file);
	const started = performance.now();
	const actor = { id: null };
	const result: ImportSummary & { pairs?: number; nearIdentical?: number } =
		kind === 'prompts'
			? await promptImport.importPrompts(database.db, { persona, format: format!, source, fileName: path.basename(file) }, actor)
			: await candidateImport.importCandidates(database.db, { persona, source, fileName: path.basename(file) }, actor);
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	if (result.errors.length) {
		printRefusal(result);
		exitCode = 1;
	} else {
		console.log(`Imported ${result.imported} ${kind} into persona "${persona.slug}" from ${result.lines} lines in ${seconds} s; ${result.duplicates} duplicates skipped.`);
		if (result.pairs !== undefined) console.log(`Paired: ${result.pairs} pairs made, ${result.nearIdentical} near-identical pairs dropped.`);
	}
} catch (error) {
	if (!(error instanceof NotFoundError)) throw error;
	console.error(values.persona ? `--persona: ${error.message}` : error.message);
	exitCode = 2;
} finally {
	await database.close();
}
process.exit(exitCode);
