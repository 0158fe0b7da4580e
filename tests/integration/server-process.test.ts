import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, testDatabaseKind } from '../support/database';
import { signIn, startServer, type RunningServer } from '../support/server';

// The production build as an operator runs it: start, restart on the same
// data, drain on SIGTERM. Needs `npm run build` first (npm test does that).

const kind = testDatabaseKind();
let databaseEnv: Record<string, string>;
let cleanup: () => Promise<void> | void;
let server: RunningServer | undefined;

beforeAll(async () => {
	({ env: databaseEnv, remove: cleanup } = await createServerDatabase());
});

afterAll(async () => {
	await server?.stop('SIGKILL');
	await cleanup?.();
});

function jsonLines(lines: string[]): Array<Record<string, unknown>> {
	return lines.flatMap((line) => {
		try {
			const parsed = JSON.parse(line);
			return typeof parsed === 'object' && parsed ? [parsed as Record<string, unknown>] : [];
		} catch {
			return [];
		}
	});
}

async function promptCount(origin: string, cookie: string): Promise<number> {
	const html = await (await fetch(`${origin}/`, { headers: { cookie } })).text();
	const match = html.match(/class="stat">(\d+)<\/div><div class="muted">prompts/);
	if (!match) throw new Error('home page shows no prompt count');
	return Number(match[1]);
}

describe(`the production server on ${kind}`, () => {
	it('migrates an empty database on start and reports healthy', async () => {
		server = await startServer({ ...databaseEnv, DEMO_WORKSPACE: 'auto' });
		const health = await (await fetch(`${server.origin}/healthz`)).json();
		expect(health).toMatchObject({ status: 'ok', database: kind, migrations: { pending: [] } });
		expect(health.migrations.applied).toBe(health.migrations.expected);
	});

	it(
		kind === 'pglite'
			? 'seeds the demo workspace into a fresh embedded database and prints working logins'
			: 'never seeds the demo workspace into a DATABASE_URL database unless asked',
		async () => {
			const banner = server!.lines.some((line) => line.includes('admin@example.com') && line.includes('demo-admin-pass'));
			expect(banner).toBe(kind === 'pglite');
			if (kind === 'postgres') {
				await expect(signIn(server!.origin, 'admin@example.com', 'demo-admin-pass')).rejects.toThrow(/sign-in failed/);
			}
		}
	);

	it('seeds when asked (DEMO_WORKSPACE=on, which `npm start -- --demo` sets), never twice', async () => {
		await server!.stop();
		server = await startServer({ ...databaseEnv, DEMO_WORKSPACE: 'on' });
		const cookie = await signIn(server.origin, 'admin@example.com', 'demo-admin-pass');
		expect(await promptCount(server.origin, cookie)).toBeGreaterThanOrEqual(60);
		const seeded = jsonLines(server.lines).find((l) => l.msg === 'demo workspace ready');
		if (kind === 'pglite') {
			// seeded on the first start already: this pass finds every row in place
			expect(seeded).toMatchObject({ prompts: 0, candidates: 0, pairs: 0, accounts: 0 });
		} else {
			expect(seeded).toMatchObject({ accounts: 3 });
			expect(seeded?.prompts).toBeGreaterThanOrEqual(60);
		}
	});

	it('writes one JSON log line per request, carrying the request id', async () => {
		const response = await fetch(`${server!.origin}/healthz`, { headers: { 'x-request-id': 'probe-42' } });
		expect(response.headers.get('x-request-id')).toBe('probe-42');
		const generated = (await fetch(`${server!.origin}/login`)).headers.get('x-request-id');
		expect(generated).toMatch(/^[0-9a-f-]{36}$/);
		await new Promise((r) => setTimeout(r, 100));
		const entries = jsonLines(server!.lines);
		expect(entries.find((e) => e.requestId === 'probe-42')).toMatchObject({ msg: 'request', path: '/healthz', status: 200, level: 'info' });
		expect(entries.find((e) => e.requestId === generated)).toMatchObject({ path: '/login', status: 200 });
	});

	it('keeps every row and session across a restart, and migrations run again as a no-op', async () => {
		const cookie = await signIn(server!.origin, 'annotator@example.com', 'demo-annotator-pass');
		const before = await promptCount(server!.origin, cookie);
		expect(await server!.stop()).toBe(0);
		server = await startServer({ ...databaseEnv, DEMO_WORKSPACE: 'auto' });
		expect(await promptCount(server.origin, cookie)).toBe(before);
		const health = await (await fetch(`${server.origin}/healthz`)).json();
		expect(health.migrations.pending).toEqual([]);
	});

	it('finishes in-flight requests on SIGTERM, closes the database and exits 0', async () => {
		const running = server!;
		// A sign-in whose body is still arriving: the server has the request in hand when the signal
		// lands, and must wait for the rest of it and answer before it stops.
		const body = new URLSearchParams({ email: 'reviewer@example.com', password: 'demo-reviewer-pass' }).toString();
		const url = new URL('/login', running.origin);
		const answered = new Promise<number>((resolve, reject) => {
			const request = httpRequest(
				{
					host: '127.0.0.1',
					port: url.port,
					path: url.pathname,
					method: 'POST',
					headers: {
						host: url.host,
						origin: running.origin,
						accept: 'text/html',
						'content-type': 'application/x-www-form-urlencoded',
						'content-length': Buffer.byteLength(body)
					}
				},
				(response) => {
					response.resume();
					resolve(response.statusCode ?? 0);
				}
			);
			request.on('error', reject);
			request.write(body.slice(0, 10));
			setTimeout(() => {
				running.process.kill('SIGTERM');
				setTimeout(() => request.end(body.slice(10)), 300);
			}, 500);
		});
		expect(await answered).toBe(303);
		expect(await running.exited).toBe(0);
		const messages = jsonLines(running.lines).map((l) => l.msg);
		expect(messages).toContain('requests drained, closing the database');
		expect(messages.at(-1)).toBe('stopped');
		server = undefined;
	});
});
