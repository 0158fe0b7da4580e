/**
 * Benchmark: submit + next over real HTTP, against the production build on a
 * local PostgreSQL, with 50 signed-in annotators working as fast as the
 * server answers (no think time). Beside it, in the same run, the bare-SQL
 * baseline: the same lease-and-insert transactions from postgres.js with no
 * HTTP, no session check, no rendering.
 *
 *   npm run build && npx tsx scripts/bench/next-pair.ts
 *   BENCH_PAIRS=10000,1000000 BENCH_ANNOTATORS=50 BENCH_SECONDS=20 npx tsx scripts/bench/next-pair.ts
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) must
 * be allowed to create databases; a scratch database is made and dropped.
 */
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { migrateDatabase, openDatabase, type Database } from '../../src/lib/server/db';
import { createPersonaWithPairs, createUsers } from '../../tests/support/fixtures';
import { signIn, startServer, type RunningServer } from '../../tests/support/server';
import { baseline } from './next-pair-baseline';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sizes = (process.env.BENCH_PAIRS ?? '10000,1000000').split(',').map(Number);
const annotators = Number(process.env.BENCH_ANNOTATORS ?? 50);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const PASSWORD = 'bench-password-1';

type Figures = { requests: number; seconds: number; p50: number; p95: number; p99: number; max: number; perSecond: number; errors: number };

function summarise(latencies: number[], elapsed: number, errors: number): Figures {
	const sorted = [...latencies].sort((a, b) => a - b);
	const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
	return {
		requests: sorted.length,
		seconds: elapsed,
		p50: at(0.5),
		p95: at(0.95),
		p99: at(0.99),
		max: sorted.at(-1) ?? NaN,
		perSecond: sorted.length / elapsed,
		errors
	};
}

type PairInHand = { pairId: string; leftCandidateId: string };

// node:http with keep-alive: far less CPU per request than fetch, and on two
// cores the load generator's CPU is taken from the server it measures.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function call(origin: string, method: 'GET' | 'POST', path: string, cookie: string, body?: unknown): Promise<{ status: number; json: unknown }> {
	const url = new URL(path, origin);
	const payload = body === undefined ? undefined : JSON.stringify(body);
	return new Promise((resolve, reject) => {
		const request = httpRequest(
			{
				agent,
				host: '127.0.0.1',
				port: url.port,
				path: url.pathname + url.search,
				method,
				headers: {
					host: url.host,
					cookie,
					accept: 'application/json',
					...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {})
				}
			},
			(response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
			}
		);
		request.on('error', reject);
		request.end(payload);
	});
}

type PairInHand = { pairId: string; leftCandidateId: string };

/** One annotator: judge the pair in front, take the answer's pairs, repeat until the clock runs out. */
async function annotate(
	origin: string,
	cookie: string,
	persona: string,
	until: number,
	latencies: number[],
	thinkMs: () => number = () => 0
): Promise<number> {
	let pairs = ((await call(origin, 'GET', `/api/v1/rank/pairs?persona=${persona}`, cookie)).json as { pairs: PairInHand[] }).pairs;
	let errors = 0;
	let n = 0;
	while (Date.now() < until && pairs.length > 0) {
		const pause = thinkMs();
		if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
		const current = pairs[0]!;
		const sided = n++ % 2 === 0;
		const judgment = {
			clientId: crypto.randomUUID(),
			pairId: current.pairId,
			preferred: sided ? 'left' : 'tie',
			strength: sided ? 2 : null
		};
		const started = performance.now();
		const response = await call(origin, 'POST', '/api/v1/rank/judgments', cookie, { persona, judgment });
		latencies.push(performance.now() - started);
		const body = response.json as { pairs?: PairInHand[] };
		if (response.status !== 200 || !body.pairs) {
			errors++;
			pairs = pairs.slice(1);
			continue;
		}
		pairs = body.pairs;
	}
	return errors;
}

/** Peak resident memory of a process (VmHWM), in MiB. */
function peakMemoryMiB(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? NaN);
	return Math.round(kb / 1024);
}

function row(name: string, f: Figures): string {
	const ms = (x: number) => x.toFixed(1).padStart(7);
	return `${name.padEnd(40)} ${String(f.requests).padStart(7)} ${ms(f.p50)} ${ms(f.p95)} ${ms(f.p99)} ${ms(f.max)} ${f.perSecond.toFixed(0).padStart(8)} ${String(f.errors).padStart(6)}`;
}

async function main(): Promise<void> {
	const name = `codelynn_bench_${Date.now()}`;
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database "${name}"`);
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	const target = { kind: 'postgres', url: url.toString() } as const;
	let database: Database | undefined;
	let server: RunningServer | undefined;
	const lines: string[] = [];
	try {
		database = await openDatabase(target, { poolSize: 4 });
		await migrateDatabase(database, target, path.resolve('drizzle'));
		const people = await createUsers(database.db, annotators, { prefix: 'bench', password: PASSWORD });
		const personas: Array<{ pairs: number; slug: string; personaId: string }> = [];
		for (const pairs of sizes) {
			const started = performance.now();
			const slug = `bench-${pairs}`;
			const { personaId } = await createPersonaWithPairs(database.db, { pairs, overlap: 3, slug });
			await database.db.execute(sql`analyze`);
			personas.push({ pairs, slug, personaId });
			console.log(`made ${pairs} pairs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
		}

		// BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the server
		const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
		server = await startServer(
			{ DATABASE_URL: target.url, DATABASE_POOL_SIZE: '20', LOG_LEVEL: 'info' },
			{ nodeArgs, logFile: path.join(os.tmpdir(), `${name}.log`) }
		);
		const cookies = [];
		for (const person of people) cookies.push(await signIn(server.origin, person.email, PASSWORD));

		lines.push(`annotators: ${annotators} concurrent, ${seconds} s per run, overlap 3; closed loop = no think time (saturation)`);
		lines.push(`${'run'.padEnd(40)} ${'reqs'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'req/s'.padStart(8)} ${'errors'.padStart(6)}`);
		for (const persona of personas) {
			// warm-up: the JIT, the pool, the caches
			await Promise.all(cookies.slice(0, 10).map((c) => annotate(server!.origin, c, persona.slug, Date.now() + 2000, [])));
			const latencies: number[] = [];
			const started = performance.now();
			const until = Date.now() + seconds * 1000;
			const errors = (await Promise.all(cookies.map((c) => annotate(server!.origin, c, persona.slug, until, latencies)))).reduce((a, b) => a + b, 0);
			const http = summarise(latencies, (performance.now() - started) / 1000, errors);
			lines.push(row(`HTTP closed loop, ${persona.pairs} pairs`, http));
			// The same 50 people at a brisk human pace (0.5–1.5 s per judgment, several times faster
			// than anyone reads two replies): the latency an annotator actually waits.
			const pacedLatencies: number[] = [];
			const pacedStarted = performance.now();
			const pacedUntil = Date.now() + seconds * 1000;
			const pacedErrors = (
				await Promise.all(cookies.map((c) => annotate(server!.origin, c, persona.slug, pacedUntil, pacedLatencies, () => 500 + Math.random() * 1000)))
			).reduce((a, b) => a + b, 0);
			lines.push(row(`HTTP paced (0.5-1.5 s), ${persona.pairs} pairs`, summarise(pacedLatencies, (performance.now() - pacedStarted) / 1000, pacedErrors)));
			const bare = await baseline(target.url, persona.personaId, people.map((p) => p.id), seconds);
			lines.push(row(`bare SQL transaction, ${persona.pairs} pairs`, bare));
			lines.push(`  HTTP throughput / bare SQL = ${(http.perSecond / bare.perSecond).toFixed(2)}`);
		}
		lines.push(`server peak resident memory (VmHWM): ${peakMemoryMiB(server.process.pid!)} MiB`);
		console.log('\n' + lines.join('\n'));
	} finally {
		await server?.stop();
		await database?.close();
		await admin.unsafe(`drop database if exists "${name}" with (force)`);
		await admin.end();
	}
}

await main();
