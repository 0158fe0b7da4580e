/**
 * Benchmark: a sampling job against the local OpenAI-compatible test server at
 * a fixed latency. With c requests in flight and a server answering in L
 * seconds, the most a job can do is c ÷ L replies per second; the job's
 * throughput is printed beside that ideal (goal: at least 0.9 of it).
 *
 *   npx tsx scripts/bench/sampling.ts
 *   BENCH_LATENCY_MS=100 BENCH_CONCURRENCY=4,16 BENCH_SECONDS=10 npx tsx scripts/bench/sampling.ts
 *
 * Runs on PGlite (in memory) and, when it answers, on the PostgreSQL at
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), in a scratch database.
 */
import path from 'node:path';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, type Database, type DatabaseTarget } from '../../src/lib/server/db';
import * as sampling from '../../src/lib/server/sampling/jobs';
import { runSamplingJob } from '../../src/lib/server/sampling/worker';
import { runNext } from '../../src/lib/server/jobs/runner';
import { createPersonaWithPrompts, createUsers } from '../../tests/support/fixtures';
import { startModelServer } from '../../tests/support/openai-server';

const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 100);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '4,16').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function measure(database: Database, baseUrl: string, concurrency: number): Promise<{ replies: number; seconds: number; perSecond: number }> {
	const ideal = concurrency / (latencyMs / 1000);
	// enough prompts for about `seconds` at the ideal rate (two replies per prompt)
	const prompts = Math.ceil((ideal * seconds) / 2);
	const { personaId } = await createPersonaWithPrompts(database.db, { prompts, baseUrl });
	const [admin] = await createUsers(database.db, 1, { role: 'admin' });
	const spec = sampling.samplingSpecSchema.parse({
		selection: { limit: prompts },
		strategy: { kind: 'temperatures', temperatures: [0.7, 1.1] },
		concurrency,
		timeoutSeconds: 30,
		maxRetries: 0
	});
	const { jobId, items } = await sampling.createSamplingJob(database.db, personaId, spec, { id: admin!.id });
	const started = performance.now();
	await runNext(database.db, `bench-${concurrency}`, { [sampling.SAMPLING_JOB]: runSamplingJob });
	const elapsed = (performance.now() - started) / 1000;
	const progress = await sampling.samplingProgress(database.db, jobId);
	if (progress.done !== items) throw new Error(`only ${progress.done} of ${items} replies done (${progress.failed} failed)`);
	return { replies: progress.done, seconds: elapsed, perSecond: progress.done / elapsed };
}

async function onDatabase(label: string, target: DatabaseTarget, baseUrl: string, lines: string[]): Promise<void> {
	const database = await openDatabase(target, { poolSize: 20 });
	try {
		await migrateDatabase(database, target, path.resolve('drizzle'));
		for (const concurrency of concurrencies) {
			const ideal = concurrency / (latencyMs / 1000);
			const result = await measure(database, baseUrl, concurrency);
			lines.push(
				`${label.padEnd(10)} ${String(concurrency).padStart(11)} ${String(result.replies).padStart(7)} ${result.seconds.toFixed(1).padStart(7)} ${result.perSecond.toFixed(1).padStart(10)} ${ideal.toFixed(1).padStart(10)} ${(result.perSecond / ideal).toFixed(2).padStart(7)}`
			);
		}
	} finally {
		await database.close();
	}
}

async function main(): Promise<void> {
	const server = await startModelServer({ mode: 'vllm', latencyMs });
	const lines = [
		`test server latency ${latencyMs} ms per request, strategy: two temperatures (one request per reply)`,
		`${'database'.padEnd(10)} ${'concurrency'.padStart(11)} ${'replies'.padStart(7)} ${'s'.padStart(7)} ${'replies/s'.padStart(10)} ${'ideal c/L'.padStart(10)} ${'ratio'.padStart(7)}`
	];
	try {
		await onDatabase('pglite', { kind: 'pglite', dir: null }, server.baseUrl, lines);
		const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 3 });
		const name = `codelynn_bench_sampling_${Date.now()}`;
		const reachable = await admin.unsafe(`create database "${name}"`).then(() => true, () => false);
		if (reachable) {
			const url = new URL(adminUrl);
			url.pathname = `/${name}`;
			try {
				await onDatabase('postgres', { kind: 'postgres', url: url.toString() }, server.baseUrl, lines);
			} finally {
				await admin.unsafe(`drop database if exists "${name}" with (force)`);
			}
		} else lines.push('postgres   (not reachable: skipped)');
		await admin.end();
	} finally {
		await server.close();
	}
	console.log(lines.join('\n'));
}

await main();
