import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchFolder, createScratchPostgres, testDatabaseKind } from '../support/database';
import { startServer, type RunningServer } from '../support/server';

// What the production build (`node build`) really sends, for each kind of response: some come from
// SvelteKit's handles, some from adapter-node's static file server or its own early refusals.
// Needs `npm run build` first (npm test does that).

const kind = testDatabaseKind();
let server: RunningServer;
let cleanup: () => Promise<void> | void;

beforeAll(async () => {
	if (kind === 'pglite') {
		const folder = createScratchFolder();
		cleanup = folder.remove;
		server = await startServer({ PGLITE_DIR: folder.dir, DEMO_WORKSPACE: 'off' });
	} else {
		const scratch = await createScratchPostgres();
		cleanup = scratch.drop;
		server = await startServer({ DATABASE_URL: scratch.url });
	}
});

afterAll(async () => {
	await server?.stop();
	await cleanup?.();
});

function get(path: string, init: RequestInit = {}): Promise<Response> {
	return fetch(`${server.origin}${path}`, { redirect: 'manual', ...init });
}

/** A script the login page loads: served from /_app/immutable by the static file server, not by SvelteKit. */
async function immutableAsset(): Promise<string> {
	const html = await (await get('/login')).text();
	const asset = html.match(/\/_app\/immutable\/[\w./-]+\.js/)?.[0];
	if (!asset) throw new Error('the login page names no /_app/immutable script');
	return asset;
}

const responses: Array<[string, () => Promise<Response>, number]> = [
	['a page', () => get('/login'), 200],
	['a JSON endpoint', () => get('/healthz'), 200],
	['an API refusal thrown by a handle', () => get('/api/v1/jobs/no-such-job'), 401],
	['a redirect thrown by a handle', () => get('/admin'), 303],
	['an unknown path', () => get('/_app/no-such-file.js'), 404],
	['a static file', () => get('/favicon.svg'), 200],
	['a built script in /_app/immutable', async () => get(await immutableAsset()), 200],
	['a not-modified answer of the static file server', async () => {
		const asset = await immutableAsset();
		const etag = (await get(asset)).headers.get('etag') ?? '';
		return get(asset, { headers: { 'if-none-match': etag } });
	}, 304],
	['a cross-site form post refused before any hook', () => get('/login', {
		method: 'POST',
		headers: { origin: 'https://elsewhere.example', 'content-type': 'application/x-www-form-urlencoded' },
		body: 'email=a&password=b'
	}), 403]
];

describe(`security headers from the production server on ${kind}`, () => {
	it.each(responses)('sends nosniff and a referrer policy with %s', async (_, send, status) => {
		const response = await send();
		expect(response.status).toBe(status);
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		expect(response.headers.get('referrer-policy')).toBe('same-origin');
	});

	it('keeps the content security policy on pages beside them', async () => {
		const csp = (await get('/login')).headers.get('content-security-policy') ?? '';
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).toContain("object-src 'none'");
	});
});
