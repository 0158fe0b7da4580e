import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import { requestEvent, thrownBy } from '../support/request-event';
import * as runtime from '../../src/lib/server/runtime';
import * as demo from '../../src/lib/server/demo/seed';
import { candidate } from '../../src/lib/server/db/schema';
import type { Role } from '../../src/lib/server/db/schema';
import type { SessionUser } from '../../src/lib/server/auth/session';
import type { GoldEditorView } from '../../src/lib/gold/types';
import { POST as startPost } from '../../src/routes/api/v1/gold/+server';
import { GET as goldGet, PUT as goldPut } from '../../src/routes/api/v1/gold/[id]/+server';
import { POST as submitPost } from '../../src/routes/api/v1/gold/[id]/submit/+server';
import { POST as markdownPost } from '../../src/routes/api/v1/markdown/+server';
import { load as newLoad } from '../../src/routes/gold/new/+page.server';
import { load as editorLoad } from '../../src/routes/gold/[id]/+page.server';

let author: SessionUser;
let otherAnnotator: SessionUser;
let reviewer: SessionUser;
let source: { id: string; promptId: string; text: string };

async function signedIn(role: Role, name: string): Promise<SessionUser> {
	const [u] = await createUsers(runtime.db(), 1, { role });
	return { id: u!.id, email: u!.email, displayName: name, role };
}

beforeAll(async () => {
	const database = await createTestDatabase();
	runtime.useDatabase(database);
	await demo.seedDemoWorkspace(database.db);
	author = await signedIn('annotator', 'Author');
	otherAnnotator = await signedIn('annotator', 'Someone else');
	reviewer = await signedIn('reviewer', 'Reviewer');
	const [c] = await database.db.select({ id: candidate.id, promptId: candidate.promptId, text: candidate.text }).from(candidate).limit(1);
	source = c!;
});
afterAll(async () => {
	await runtime.stop();
});

/** A JSON request to a route, as the editor page sends it. */
function call(method: string, path: string, routeId: string, body: unknown, me: SessionUser | null, params: Record<string, string> = {}) {
	const event = requestEvent(path, { method, user: me, routeId, params });
	const request = new Request(event.url, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
	return { ...event, request };
}

const save = (id: string, body: unknown, me: SessionUser = author) => goldPut(call('PUT', `/api/v1/gold/${id}`, '/api/v1/gold/[id]', body, me, { id }));
const read = (id: string, me: SessionUser) => goldGet(call('GET', `/api/v1/gold/${id}`, '/api/v1/gold/[id]', undefined, me, { id }));

async function startFromSource(): Promise<{ id: string; revision: number; text: string }> {
	const response = await startPost(call('POST', '/api/v1/gold', '/api/v1/gold', { promptId: source.promptId, sourceCandidateId: source.id }, author));
	expect(response.status).toBe(200);
	return (await response.json()) as { id: string; revision: number; text: string };
}

describe('the gold example endpoints', () => {
	it('open an example from a candidate at revision 1 with its text, and refuse an empty body naming the field', async () => {
		expect(await startFromSource()).toMatchObject({ revision: 1, text: source.text });
		const refused = await startPost(call('POST', '/api/v1/gold', '/api/v1/gold', {}, author));
		expect(refused.status).toBe(400);
		expect(await refused.json()).toMatchObject({ errors: { promptId: expect.any(String) } });
	});

	it('save the next revision; a save from a stale base is a 409 carrying both texts', async () => {
		const example = await startFromSource();
		const saved = await save(example.id, { baseRevision: 1, text: 'ok so, honestly: yes :>' });
		expect(await saved.json()).toEqual({ revision: 2, saved: true });
		const stale = await save(example.id, { baseRevision: 1, text: 'from the other tab' });
		expect(stale.status).toBe(409);
		expect(await stale.json()).toMatchObject({
			message: expect.stringMatching(/revision 2/i),
			conflict: { latestRevision: 2, latestText: 'ok so, honestly: yes :>', yourText: 'from the other tab' }
		});
	});

	it('submit the latest revision, after which the author can no longer save', async () => {
		const example = await startFromSource();
		await save(example.id, { baseRevision: 1, text: 'submitted words' });
		const submitted = await submitPost(call('POST', `/api/v1/gold/${example.id}/submit`, '/api/v1/gold/[id]/submit', { revision: 2 }, author, { id: example.id }));
		expect(submitted.status).toBe(200);
		const late = await save(example.id, { baseRevision: 2, text: 'sneaky' });
		expect(late.status).toBe(409);
		expect(await late.json()).toMatchObject({ message: expect.stringMatching(/submitted/) });
	});

	it('show the example to a reviewer read-only, with prompt, original and latest text', async () => {
		const example = await startFromSource();
		await save(example.id, { baseRevision: 1, text: 'the latest' });
		const response = await read(example.id, reviewer);
		expect(response.status).toBe(200);
		const view = (await response.json()) as GoldEditorView;
		expect(view).toMatchObject({ id: example.id, status: 'draft', editable: false, source: { candidateId: source.id, text: source.text }, latest: { revision: 2, text: 'the latest' }, latestReview: null });
		expect(view.messages.length).toBeGreaterThan(0);
		expect(((await (await read(example.id, author)).json()) as GoldEditorView).editable).toBe(true);
	});

	it('keep another annotator out: they can neither read nor save the author’s example', async () => {
		const example = await startFromSource();
		expect((await read(example.id, otherAnnotator)).status).toBe(403);
		const refused = await save(example.id, { baseRevision: 1, text: 'not mine' }, otherAnnotator);
		expect([400, 403]).toContain(refused.status);
		expect((await read(example.id, reviewer)).status).toBe(200);
	});

	it('answer 404 for an unknown id before reading the body, and 401 to anyone not signed in', async () => {
		const unknown = crypto.randomUUID();
		expect((await save(unknown, {})).status).toBe(404);
		expect((await read('not-a-uuid', reviewer)).status).toBe(404);
		expect(await thrownBy(() => read(unknown, null as unknown as SessionUser))).toMatchObject({ status: 401 });
	});
});

describe('the gold pages', () => {
	it('/gold/new?candidate= opens an example and redirects to its editor; again, the same open one', async () => {
		const open = () => thrownBy(() => newLoad(requestEvent(`/gold/new?candidate=${source.id}`, { user: otherAnnotator, routeId: '/gold/new' })));
		const first = (await open()) as { status: number; location: string };
		expect(first).toMatchObject({ status: 303, location: expect.stringMatching(/^\/gold\/[0-9a-f-]{36}$/) });
		expect(await open()).toMatchObject({ status: 303, location: first.location });
		const id = first.location.split('/').pop()!;
		const data = (await editorLoad(requestEvent(first.location, { user: otherAnnotator, routeId: '/gold/[id]', params: { id } }))) as { example: GoldEditorView };
		expect(data.example).toMatchObject({ editable: true, latest: { revision: 1, text: source.text } });
	});

	it('/gold/new without a candidate or prompt goes back to ranking; an unknown candidate is a 404', async () => {
		expect(await thrownBy(() => newLoad(requestEvent('/gold/new', { user: author, routeId: '/gold/new' })))).toMatchObject({ status: 303, location: '/rank' });
		const unknown = requestEvent(`/gold/new?candidate=${crypto.randomUUID()}`, { user: author, routeId: '/gold/new' });
		expect(await thrownBy(() => newLoad(unknown))).toMatchObject({ status: 404 });
	});
});

describe('the markdown preview endpoint', () => {
	it('renders markdown and escapes raw HTML', async () => {
		const response = await markdownPost(call('POST', '/api/v1/markdown', '/api/v1/markdown', { text: '**hi** <script>alert(1)</script>' }, author));
		const { html } = (await response.json()) as { html: string };
		expect(html).toContain('<strong>hi</strong>');
		expect(html).not.toContain('<script>');
		expect(html).toContain('&lt;script&gt;');
	});

	it('refuses text over 20,000 characters', async () => {
		const response = await markdownPost(call('POST', '/api/v1/markdown', '/api/v1/markdown', { text: 'x'.repeat(20_001) }, author));
		expect(response.status).toBe(400);
	});
});
