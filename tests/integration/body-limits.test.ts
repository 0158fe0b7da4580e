import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, testDatabaseKind } from '../support/database';
import { signIn, startServer, type RunningServer } from '../support/server';

// Request-body limits as the production build enforces them, started the way
// the README's production command starts it. Needs `npm run build` first.

const kind = testDatabaseKind();
const MiB = 1024 * 1024;

/** The settings in front of `node build` in the README's production command (ORIGIN is the test server's own). */
function productionCommandEnv(): Record<string, string> {
	const line = readFileSync('README.md', 'utf8').match(/^((?:[A-Z_]+=\S+ )*)node build$/m);
	if (!line) throw new Error('README.md has no production command ending in `node build`');
	const env = Object.fromEntries(line[1]!.trim().split(/\s+/).filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]));
	delete env.ORIGIN;
	return env;
}

let databaseEnv: Record<string, string>;
let cleanup: () => Promise<void> | void;
const servers: RunningServer[] = [];

beforeAll(async () => {
	({ env: databaseEnv, remove: cleanup } = await createServerDatabase());
});

afterAll(async () => {
	for (const server of servers) await server.stop('SIGKILL');
	await cleanup?.();
});

async function start(env: Record<string, string>): Promise<{ origin: string; cookie: string; lines: string[] }> {
	const server = await startServer({ ...databaseEnv, DEMO_WORKSPACE: 'on', ...env });
	servers.push(server);
	return { origin: server.origin, cookie: await signIn(server.origin, 'admin@example.com', 'demo-admin-pass'), lines: server.lines };
}

/** `count` prompt lines, about 270 bytes each. */
function promptLines(count: number, tag: string): string {
	const lines: string[] = [];
	for (let i = 0; i < count; i++)
		lines.push(JSON.stringify({ prompt: `${tag} ${i}: explain, as a patient tutor would, why ${i} is ${i % 2 ? 'odd' : 'even'} and what follows from it. `.repeat(2), domain: 'chat' }));
	return `${lines.join('\n')}\n`;
}

/** A body sent in chunks with no Content-Length, as a streaming client sends it; the answer as status and text. */
function sendChunked(url: string, headers: Record<string, string>, body: string, chunkBytes = 64 * 1024): Promise<{ status: number; text: string }> {
	return new Promise((resolve, reject) => {
		const request = httpRequest(url, { method: 'POST', headers: { accept: '*/*', ...headers, 'transfer-encoding': 'chunked' } }, (response) => {
			let text = '';
			response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
			response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
		});
		request.on('error', reject);
		let offset = 0;
		const write = (): void => {
			while (offset < body.length) {
				const chunk = body.slice(offset, (offset += chunkBytes));
				if (!request.write(chunk)) return void request.once('drain', write);
			}
			request.end();
		};
		write();
	});
}

async function promptTotal(origin: string, cookie: string): Promise<number> {
	const html = await (await fetch(`${origin}/admin/prompts?persona=lynn`, { headers: { cookie } })).text();
	const match = html.match(/of (\d+) prompts/);
	if (!match) throw new Error('the prompts page shows no total');
	return Number(match[1]!.replace(/,/g, ''));
}

describe(`request bodies under the README's production command, on ${kind}`, () => {
	let origin: string;
	let cookie: string;
	beforeAll(async () => {
		({ origin, cookie } = await start({ ...productionCommandEnv(), FORM_BODY_LIMIT: '1M' }));
	}, 60_000);

	it('streams an import file far over adapter-node’s old 512K default into the database', async () => {
		const file = promptLines(60_000, 'big');
		expect(file.length).toBeGreaterThan(20 * 512 * 1024);
		const headers = { cookie, 'content-type': 'application/x-ndjson' };
		const response = await fetch(`${origin}/api/v1/imports/prompts?persona=lynn&name=big.jsonl`, { method: 'POST', headers, body: file });
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ lines: 60_000, imported: 60_000, errors: [] });
		const chunked = await sendChunked(`${origin}/api/v1/imports/prompts?persona=lynn&name=chunked.jsonl`, headers, promptLines(10_000, 'chunked'));
		expect(chunked.status).toBe(200);
	}, 120_000);

	it('refuses a JSON body over JSON_BODY_LIMIT with a 413 that names the setting, by Content-Length and while streaming', async () => {
		const body = JSON.stringify({ pairId: crypto.randomUUID(), choice: 'a', strength: 2, rationale: 'x'.repeat(2 * MiB) });
		const declared = await fetch(`${origin}/api/v1/rank/judgments`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body });
		expect(declared.status).toBe(413);
		expect((await declared.json()).message).toMatch(/JSON_BODY_LIMIT=1M/);
		const chunked = await sendChunked(`${origin}/api/v1/rank/judgments`, { cookie, 'content-type': 'application/json' }, body);
		expect(chunked.status).toBe(413);
		expect(JSON.parse(chunked.text).message).toMatch(/raise JSON_BODY_LIMIT/);
	});

	it('refuses a form upload over FORM_BODY_LIMIT with a 413 that names the setting, and imports nothing', async () => {
		const before = await promptTotal(origin, cookie);
		const form = new FormData();
		form.set('file', new Blob([promptLines(8_000, 'form')]), 'prompts.jsonl');
		const upload = (body: FormData | string, headers: Record<string, string> = {}) =>
			fetch(`${origin}/admin/prompts?/prompts&persona=lynn`, { method: 'POST', headers: { cookie, origin, accept: 'application/json', ...headers }, body });
		const declared = await upload(form);
		expect(declared.status).toBe(413);
		expect(await declared.text()).toMatch(/FORM_BODY_LIMIT=1M/);

		const encoded = new Response(form);
		const text = await encoded.text();
		const chunked = await sendChunked(`${origin}/admin/prompts?/prompts&persona=lynn`, { cookie, origin, accept: 'application/json', 'content-type': encoded.headers.get('content-type')! }, text);
		expect(chunked.status).toBe(413);
		expect(chunked.text).toMatch(/raise FORM_BODY_LIMIT/);
		expect(await promptTotal(origin, cookie)).toBe(before);
	});
});

describe(`a server started without BODY_SIZE_LIMIT, on ${kind}`, () => {
	it('warns at start, and answers an import over adapter-node’s 512K with a 413 that says what to set, streamed or not, never a 500', async () => {
		const { origin, cookie, lines } = await start({});
		expect(lines.some((line) => /"BODY_SIZE_LIMIT":"512K".*start with BODY_SIZE_LIMIT=Infinity/.test(line))).toBe(true);
		const file = promptLines(4_000, 'capped');
		const url = `${origin}/api/v1/imports/prompts?persona=lynn&name=capped.jsonl`;
		const declared = await fetch(url, { method: 'POST', headers: { cookie, 'content-type': 'application/x-ndjson' }, body: file });
		expect(declared.status).toBe(413);
		expect((await declared.json()).message).toMatch(/start it with BODY_SIZE_LIMIT=Infinity/);
		const chunked = await sendChunked(url, { cookie, 'content-type': 'application/x-ndjson' }, file);
		expect(chunked.status).toBe(413);
		expect(JSON.parse(chunked.text).message).toMatch(/BODY_SIZE_LIMIT=Infinity/);
	}, 60_000);
});
