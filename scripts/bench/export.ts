/**
 * Benchmark: publishing a dataset version of 100,000 and 1,000,000 judgments
 * from the local PostgreSQL to S3 (s3rver on loopback), beside a
 * `COPY (same query) TO STDOUT` baseline measured in the same run.
 *
 *   npx tsx scripts/bench/export.ts          BENCH_JUDGMENTS=100000,1000000 BENCH_HEAP_MIB=128
 *
 * For each size: a scratch database on BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres) gets N/2 pairs with two votes
 * each (made in SQL), and a dataset that keeps every vote as its own row, so
 * the preference files have about as many rows as there are judgments. A
 * child process (its peak RSS is the exporter's alone, with a capped V8 heap)
 * then freezes the version and publishes it — JSONL first, then Parquet —
 * timing each phase. The parent then COPYs the very queries the JSONL files
 * are read with (read.ts `fileQuery`) TO STDOUT with psql, counted by wc:
 * the floor for "these rows out of PostgreSQL as text". s3rver runs in a
 * third process, so its memory is not counted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, rowsOf } from '../../src/lib/server/db';
import { createDataset } from '../../src/lib/server/datasets/definitions';
import { createVersion, getVersion, PUBLISH_JOB } from '../../src/lib/server/datasets/versions';
import { publishJobHandler } from '../../src/lib/server/datasets/job';
import { planFiles } from '../../src/lib/server/datasets/files';
import { fileQuery } from '../../src/lib/server/datasets/read';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { runNext } from '../../src/lib/server/jobs/runner';
import { createS3Store } from '../../src/lib/server/storage';
import { createPersonaWithPairs, createUsers } from '../../tests/support/fixtures';
import { addVotesInBulk } from '../../tests/support/judgments';
import { startS3Server } from '../../tests/support/s3';

const MIGRATIONS = path.resolve('drizzle');
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sizes = (process.env.BENCH_JUDGMENTS ?? '100000,1000000').split(',').map(Number);
const heapLimitMiB = Number(process.env.BENCH_HEAP_MIB ?? 128);

type ChildFigures = { error: string | null; rows: number; bytes: number; freezeMs: number; jsonlMs: number; parquetMs: number; jsonlRows: number; jsonlBytes: number; peakRssMiB: number; versionId: string; status: string };

const s3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** In the child: freeze and publish one version, timing the JSONL and Parquet phases. */
async function measure(url: string, datasetId: string, endpoint: string): Promise<ChildFigures> {
	const database = await openDatabase({ kind: 'postgres', url }, { poolSize: 4 });
	const store = createS3Store({ kind: 's3', bucket: 'bench', endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3Credentials });
	try {
		const started = performance.now();
		const created = await createVersion(database.db, datasetId, { id: null }, { undoSeconds: 0 });
		const frozen = performance.now();
		let parquetStarted = 0;
		await runNext(
			database.db,
			'bench',
			{
				[PUBLISH_JOB]: publishJobHandler(
					() => store,
					(progress) => {
						if (!parquetStarted && progress.file.endsWith('.parquet')) parquetStarted = performance.now();
					}
				)
			},
			undefined,
			created.jobId
		);
		const done = performance.now();
		const version = await getVersion(database.db, created.id);
		const files = (version.manifest?.files ?? []) as Array<{ path: string; rows: number | null; bytes: number; format: string }>;
		const jsonl = files.filter((f) => f.format === 'jsonl');
		return {
			status: version.status,
			error: version.error,
			versionId: created.id,
			rows: files.reduce((sum, f) => sum + (f.rows ?? 0), 0),
			bytes: files.reduce((sum, f) => sum + f.bytes, 0),
			jsonlRows: jsonl.reduce((sum, f) => sum + (f.rows ?? 0), 0),
			jsonlBytes: jsonl.reduce((sum, f) => sum + f.bytes, 0),
			freezeMs: frozen - started,
			jsonlMs: parquetStarted - frozen,
			parquetMs: done - parquetStarted,
			peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024)
		};
	} finally {
		await database.close();
	}
}

/**
 * COPY of each JSONL file's own query (same SQL, parameters inlined) TO STDOUT through psql into
 * `wc -c`: the server's work plus a C client's, the floor for getting these rows out as text.
 */
function copyBaseline(url: string, versionId: string, spec: ReturnType<typeof defaultSpec>): { ms: number; bytes: number } {
	const dialect = new PgDialect();
	let bytes = 0;
	let ms = 0;
	for (const plan of planFiles(spec).filter((p) => p.format === 'jsonl')) {
		const query = dialect.sqlToQuery(fileQuery({ versionId, kind: plan.kind, split: plan.split ?? undefined }));
		const text = query.sql.replace(/\$(\d+)/g, (_, n: string) => `'${String(query.params[Number(n) - 1]).replace(/'/g, "''")}'`);
		const started = performance.now();
		const out = spawnSync('bash', ['-o', 'pipefail', '-c', 'psql "$URL" -X -q -v ON_ERROR_STOP=1 -c "$QUERY" | wc -c'], {
			env: { ...process.env, URL: url, QUERY: `copy (${text}) to stdout` },
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit']
		});
		ms += performance.now() - started;
		if (out.status !== 0) throw new Error(`psql copy failed (${out.status})`);
		bytes += Number(out.stdout.trim());
	}
	return { ms, bytes };
}

async function prepare(url: string, judgments: number): Promise<{ datasetId: string; spec: ReturnType<typeof defaultSpec> }> {
	const database = await openDatabase({ kind: 'postgres', url }, { poolSize: 2 });
	try {
		await migrateDatabase(database, { kind: 'postgres', url }, MIGRATIONS);
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: judgments / 2, overlap: 2, slug: `bench-${judgments}` });
		const annotators = await createUsers(database.db, 2);
		await addVotesInBulk(database.db, personaId, annotators.map((a) => a.id), 2);
		const [count] = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from judgment`));
		if (Number(count!.n) !== judgments) throw new Error(`fixture made ${count!.n} judgments, not ${judgments}`);
		const spec = defaultSpec();
		spec.aggregation.mode = 'every_vote';
		spec.contents.sft = false;
		const { id } = await createDataset(database.db, personaId, { name: 'bench', slug: 'bench', description: '', spec }, { id: null });
		return { datasetId: id, spec };
	} finally {
		await database.close();
	}
}

function startS3Child(): Promise<{ endpoint: string; child: ChildProcess }> {
	const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--s3'], { stdio: ['ignore', 'pipe', 'inherit'] });
	return new Promise((resolve, reject) => {
		child.stdout!.once('data', (data: Buffer) => resolve({ endpoint: data.toString().trim(), child }));
		child.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
	});
}

async function main(): Promise<void> {
	const { endpoint, child: s3 } = await startS3Child();
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	const results: Array<ChildFigures & { judgments: number; copyMs: number; copyBytes: number }> = [];
	try {
		for (const judgments of sizes) {
			const name = `codelynn_bench_export_${process.pid}_${judgments}`;
			await admin.unsafe(`create database "${name}"`);
			const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
			try {
				console.error(`${judgments} judgments: making fixtures…`);
				const { datasetId, spec } = await prepare(url, judgments);
				console.error(`${judgments} judgments: publishing in a child (heap cap ${heapLimitMiB} MiB)…`);
				const out = spawnSync(process.execPath, [`--max-old-space-size=${heapLimitMiB}`, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', url, datasetId, endpoint], {
					encoding: 'utf8',
					stdio: ['ignore', 'pipe', 'inherit'],
					maxBuffer: 1 << 20
				});
				if (out.status !== 0) throw new Error(`export child failed (${out.status})`);
				const figures = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as ChildFigures;
				if (figures.status !== 'published') throw new Error(`version ${figures.status}: ${figures.error}`);
				console.error(`${judgments} judgments: published (${JSON.stringify(figures)}); COPY baseline…`);
				const copy = copyBaseline(url, figures.versionId, spec);
				results.push({ ...figures, judgments, copyMs: copy.ms, copyBytes: copy.bytes });
			} finally {
				await admin.unsafe(`drop database if exists "${name}" with (force)`);
			}
		}
	} finally {
		await admin.end();
		s3.kill();
	}
	const s = (ms: number) => (ms / 1000).toFixed(1);
	console.log('| judgments | rows (all files) | freeze | JSONL (rows, MiB) | JSONL rows/s | COPY same queries | JSONL ÷ COPY | Parquet | peak RSS |');
	console.log('| --: | --: | --: | --: | --: | --: | --: | --: | --: |');
	for (const r of results)
		console.log(
			`| ${r.judgments.toLocaleString('en')} | ${r.rows.toLocaleString('en')} | ${s(r.freezeMs)} s | ${s(r.jsonlMs)} s (${r.jsonlRows.toLocaleString('en')}, ${(r.jsonlBytes / 2 ** 20).toFixed(0)}) | ${Math.round(r.jsonlRows / (r.jsonlMs / 1000)).toLocaleString('en')} | ${s(r.copyMs)} s (${(r.copyBytes / 2 ** 20).toFixed(0)} MiB) | ${(r.jsonlMs / r.copyMs).toFixed(2)}× | ${s(r.parquetMs)} s | ${r.peakRssMiB} MiB |`
		);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === '--child') {
	const [url, datasetId, endpoint] = args as [string, string, string];
	console.log(JSON.stringify(await measure(url, datasetId, endpoint)));
	process.exit(0);
} else if (mode === '--s3') {
	const server = await startS3Server({ bucket: 'bench' });
	console.log(server.endpoint);
	process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
	await once(process, 'beforeExit');
} else await main();
