/**
 * Benchmark: a 500,000-line prompt file sent to the production build, as the
 * README's production command starts it, through the streaming endpoint
 * `POST /api/v1/imports/prompts`.
 *
 *   npm run build && npx tsx scripts/bench/import-http.ts      BENCH_LINES=500000 BENCH_TARGETS=postgres,pglite
 *
 * For each target (a scratch database on BENCH_DATABASE_URL, dropped afterwards;
 * PGlite in a temp folder) it starts `node build` with BODY_SIZE_LIMIT=Infinity
 * and the demo workspace, signs in as the demo admin, streams the file from disk
 * as the request body and reports the answer, the time, and the server's peak
 * resident memory (VmHWM) before and after. It then sends the same file to a
 * server started without BODY_SIZE_LIMIT and prints what that one answers.
 */
import type { ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { mib, postgresReachable, scratchPostgres, writePromptFile } from './prompt-files';
import { signIn, startBuild } from './production-server';

const lines = Number(process.env.BENCH_LINES ?? 500_000);
const targets = (process.env.BENCH_TARGETS ?? 'postgres,pglite').split(',');

/** The server's peak resident memory so far, from /proc (Linux). */
function peakRssMiB(child: ChildProcess): number {
	const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
	return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024);
}

async function upload(origin: string, cookie: string, file: string): Promise<{ status: number; body: Record<string, unknown>; seconds: number }> {
	const started = performance.now();
	const response = await fetch(`${origin}/api/v1/imports/prompts?persona=lynn&name=bench.jsonl`, {
		method: 'POST',
		headers: { cookie, 'content-type': 'application/x-ndjson', 'content-length': String(statSync(file).size) },
		body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
		duplex: 'half'
	} as RequestInit);
	const body = (await response.json()) as Record<string, unknown>;
	return { status: response.status, body, seconds: (performance.now() - started) / 1000 };
}

async function measure(target: string, databaseEnv: Record<string, string>, file: string): Promise<string> {
	const server = await startBuild({ BODY_SIZE_LIMIT: 'Infinity', ...databaseEnv });
	try {
		const cookie = await signIn(server.origin);
		const before = peakRssMiB(server.child);
		const { status, body, seconds } = await upload(server.origin, cookie, file);
		if (status !== 200) throw new Error(`${target}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
		const rate = Math.round(Number(body.lines) / seconds);
		return `${target.padEnd(9)} ${String(status).padStart(6)} ${String(body.imported).padStart(9)} ${seconds.toFixed(1).padStart(8)} ${String(rate).padStart(8)} ${String(before).padStart(15)} ${String(peakRssMiB(server.child)).padStart(10)}`;
	} finally {
		await server.stop();
	}
}

async function main(): Promise<void> {
	const folder = mkdtempSync(path.join(os.tmpdir(), 'codelynn-bench-import-http-'));
	try {
		const file = path.join(folder, 'prompts.jsonl');
		await writePromptFile(file, lines);
		const rows = [`target    status  imported  seconds  lines/s  server RSS MiB  after MiB`];
		for (const target of targets) {
			if (target === 'pglite') {
				rows.push(await measure(target, { PGLITE_DIR: path.join(folder, 'pglite') }, file));
			} else if (await postgresReachable()) {
				const scratch = await scratchPostgres();
				try {
					rows.push(await measure(target, { DATABASE_URL: scratch.url }, file));
				} finally {
					await scratch.drop();
				}
			}
		}
		const capped = await startBuild({ PGLITE_DIR: path.join(folder, 'capped') });
		try {
			const refused = await upload(capped.origin, await signIn(capped.origin), file);
			rows.push(`\nwithout BODY_SIZE_LIMIT (adapter-node's 512K): ${refused.status} ${JSON.stringify(refused.body.message)}`);
		} finally {
			await capped.stop();
		}
		console.log(`\n${lines} prompts, ${mib(statSync(file).size)} MiB of JSONL, streamed over HTTP to node build; node ${process.version}\n${rows.join('\n')}`);
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

await main();
