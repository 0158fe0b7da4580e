/**
 * Benchmark: streaming a 100,000-line JSONL file of prompts into a fresh
 * database, and showing that the importer's memory does not grow with the file.
 *
 *   npx tsx scripts/bench/import.ts                 BENCH_LINES=10000,100000 BENCH_HEAP_MIB=64
 *
 * Writes the files to a temp folder, then imports each in a child process of
 * its own (so each peak RSS belongs to one import): into an in-memory PGlite,
 * and, when it answers, into a scratch database on BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), dropped afterwards. The child
 * prints its peak RSS (process.resourceUsage().maxRSS) before and after the
 * import. PGlite keeps its database inside the process, so its RSS grows with
 * the rows stored; the PostgreSQL figures are the importer's own. Children run
 * with a small V8 heap cap (BENCH_HEAP_MIB), so an importer that held the file
 * would fail rather than merely look big.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateDatabase, openDatabase, type DatabaseTarget } from '../../src/lib/server/db';
import { persona } from '../../src/lib/server/db/schema';
import { findPersona } from '../../src/lib/server/personas/find';
import { importPrompts } from '../../src/lib/server/imports/prompts';
import { mib, postgresReachable, scratchPostgres, writePromptFile } from './prompt-files';

const MIGRATIONS = path.resolve('drizzle');
const sizes = (process.env.BENCH_LINES ?? '10000,100000').split(',').map(Number);
/** The children's V8 heap cap: far below what holding the 100,000-line file would take, so a leak fails the run. */
const heapLimitMiB = Number(process.env.BENCH_HEAP_MIB ?? 64);

type Figures = { target: string; lines: number; imported: number; seconds: number; rssBeforeMiB: number; rssAfterMiB: number; heapAfterMiB: number };

const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** In the child: one import into one database, measured. */
async function measure(targetName: string, file: string): Promise<Figures> {
	const target: DatabaseTarget = targetName === 'pglite' ? { kind: 'pglite', dir: null } : { kind: 'postgres', url: targetName };
	const database = await openDatabase(target, { poolSize: 2 });
	try {
		await migrateDatabase(database, target, MIGRATIONS);
		await database.db.insert(persona).values({ slug: 'bench', name: 'Bench', styleGuide: '.', systemPrompt: '.' });
		const bench = await findPersona(database.db, 'bench');
		const rssBeforeMiB = peakRssMiB();
		const started = performance.now();
		const result = await importPrompts(database.db, { persona: bench, format: 'jsonl', source: createReadStream(file) }, { id: null });
		const seconds = (performance.now() - started) / 1000;
		if (result.errors.length) throw new Error(`the bench file was refused: ${JSON.stringify(result.errors.slice(0, 3))}`);
		return {
			target: target.kind,
			lines: result.lines,
			imported: result.imported,
			seconds,
			rssBeforeMiB,
			rssAfterMiB: peakRssMiB(),
			heapAfterMiB: mib(process.memoryUsage().heapUsed)
		};
	} finally {
		await database.close();
	}
}

function runChild(target: string, file: string): Figures {
	const script = fileURLToPath(import.meta.url);
	const child = spawnSync(process.execPath, [`--max-old-space-size=${heapLimitMiB}`, '--import', 'tsx', script, '--child', target, file], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
		env: { ...process.env, LOG_LEVEL: 'silent' }
	});
	if (child.status !== 0) throw new Error(`the ${target} import exited ${child.status}`);
	return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Figures;
}

function row(f: Figures, fileMiB: number): string {
	return [
		f.target.padEnd(9),
		String(f.lines).padStart(8),
		String(fileMiB).padStart(8),
		f.seconds.toFixed(1).padStart(8),
		Math.round(f.lines / f.seconds).toString().padStart(8),
		String(f.rssBeforeMiB).padStart(19),
		String(f.rssAfterMiB).padStart(10),
		String(f.heapAfterMiB).padStart(9)
	].join(' ');
}

async function main(): Promise<void> {
	const folder = mkdtempSync(path.join(os.tmpdir(), 'codelynn-bench-import-'));
	const withPostgres = await postgresReachable();
	try {
		const header = ['target'.padEnd(9), 'lines'.padStart(8), 'file MiB'.padStart(8), 'seconds'.padStart(8), 'lines/s'.padStart(8), 'peak RSS before MiB'.padStart(11), 'after MiB'.padStart(10), 'heap MiB'.padStart(9)];
		const lines = [header.join(' ')];
		for (const size of sizes) {
			const file = path.join(folder, `prompts-${size}.jsonl`);
			await writePromptFile(file, size);
			const fileMiB = mib(statSync(file).size);
			lines.push(row(runChild('pglite', file), fileMiB));
			if (!withPostgres) continue;
			const scratch = await scratchPostgres();
			try {
				lines.push(row(runChild(scratch.url, file), fileMiB));
			} finally {
				await scratch.drop();
			}
		}
		console.log(`\nprompt import, JSONL streamed, batches of 500 in one transaction; node ${process.version}, V8 heap capped at ${heapLimitMiB} MiB\n${lines.join('\n')}`);
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

if (process.argv[2] === '--child') {
	console.log(JSON.stringify(await measure(process.argv[3]!, process.argv[4]!)));
} else {
	await main();
}
