import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import * as sessions from '../support/sessions';
import { callHandle, requestEvent, thrownBy } from '../support/request-event';
import * as runtime from '../../src/lib/server/runtime';
import * as demo from '../../src/lib/server/demo/seed';
import * as gold from '../../src/lib/server/gold/examples';
import { candidate, goldReview, judgment, pairSkip, prompt, user } from '../../src/lib/server/db/schema';
import { text } from '../../src/lib/server/text';
import type { SessionUser } from '../../src/lib/server/auth/session';
import type { Role } from '../../src/lib/server/db/schema';
import type { PairView } from '../../src/lib/rank/types';
import { handle } from '../../src/hooks.server';
import { POST as judgmentPost } from '../../src/routes/api/v1/rank/judgments/+server';
import { POST as skipPost } from '../../src/routes/api/v1/rank/skips/+server';
import { GET as pairsGet } from '../../src/routes/api/v1/rank/pairs/+server';
import { PUT as goldPut } from '../../src/routes/api/v1/gold/[id]/+server';
import { POST as importPost } from '../../src/routes/api/v1/imports/[kind]/+server';
import { load as rankLoad } from '../../src/routes/rank/+page.server';
import { actions as userActions } from '../../src/routes/admin/users/+page.server';
import { actions as reviewActions } from '../../src/routes/review/[id]/+page.server';
import { actions as promptActions } from '../../src/routes/admin/prompts/+page.server';

// PostgreSQL stores neither a NUL character nor a lone UTF-16 surrogate as
// text. Each used to reach the database and come back as a 500 (an import
// printed the query and its parameters); now each is a 400 naming the field,
// or the line, and nothing is written.

const NUL = 'bad\u0000text';
const SURROGATE = 'bad\ud800text';

let database: TestDatabase;
let annotator: SessionUser;
let admin: SessionUser;
let reviewer: SessionUser;

async function signedIn(role: Role, name: string): Promise<SessionUser> {
	const [u] = await createUsers(runtime.db(), 1, { role });
	return { id: u!.id, email: u!.email, displayName: name, role };
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	await demo.seedDemoWorkspace(database.db);
	annotator = await signedIn('annotator', 'Annotator');
	admin = await signedIn('admin', 'Admin');
	reviewer = await signedIn('reviewer', 'Reviewer');
});
afterAll(async () => {
	await runtime.stop();
});

function jsonRequest(method: string, path: string, routeId: string, body: unknown, me: SessionUser, params: Record<string, string> = {}) {
	const event = requestEvent(path, { method, user: me, routeId, params });
	return { ...event, request: new Request(event.url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
}

async function rows(table: typeof judgment | typeof pairSkip | typeof prompt | typeof user | typeof goldReview | typeof candidate): Promise<number> {
	const [row] = await database.db.select({ n: count() }).from(table);
	return row!.n;
}

async function pairInHand(): Promise<PairView> {
	const response = await pairsGet(requestEvent('/api/v1/rank/pairs', { user: annotator, routeId: '/api/v1/rank/pairs' }));
	return ((await response.json()) as { pairs: PairView[] }).pairs[0]!;
}

describe('text()', () => {
	it('refuses NUL and lone surrogates, and keeps every real character, emoji included', () => {
		const schema = text();
		expect(schema.safeParse(NUL).error?.issues[0]?.message).toMatch(/NUL/);
		expect(schema.safeParse(SURROGATE).error?.issues[0]?.message).toMatch(/lone UTF-16 surrogate/);
		expect(schema.safeParse('\udc00 trailing half').success).toBe(false);
		expect(schema.parse('Grüße 👋 — ünïcode')).toBe('Grüße 👋 — ünïcode');
	});
});

describe('JSON endpoints: a 400 naming the field, nothing written', () => {
	it('a NUL or a lone surrogate in a rationale', async () => {
		const pair = await pairInHand();
		const before = await rows(judgment);
		for (const rationale of [NUL, SURROGATE]) {
			const body = { judgment: { clientId: crypto.randomUUID(), pairId: pair.pairId, leftCandidateId: pair.leftCandidateId, preferred: 'left', strength: 2, rationale } };
			const response = await judgmentPost(jsonRequest('POST', '/api/v1/rank/judgments', '/api/v1/rank/judgments', body, annotator));
			expect(response.status).toBe(400);
			expect(Object.keys((await response.json()).errors)).toEqual(['judgment.rationale']);
		}
		expect(await rows(judgment)).toBe(before);
	});

	it('a NUL in a gold edit', async () => {
		const [source] = await database.db.select({ id: candidate.id, promptId: candidate.promptId }).from(candidate).limit(1);
		const example = await gold.startGold(database.db, { promptId: source!.promptId, sourceCandidateId: source!.id, authorId: annotator.id });
		const response = await goldPut(jsonRequest('PUT', `/api/v1/gold/${example.id}`, '/api/v1/gold/[id]', { baseRevision: 1, text: NUL }, annotator, { id: example.id }));
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ errors: { text: expect.stringMatching(/NUL/) } });
	});

	it('a NUL in ?persona= of the pairs endpoint, and on the ranking page', async () => {
		const response = await pairsGet(requestEvent(`/api/v1/rank/pairs?persona=${encodeURIComponent(NUL)}`, { user: annotator, routeId: '/api/v1/rank/pairs' }));
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ errors: { persona: expect.stringMatching(/NUL/) } });
		const page = await thrownBy(() => rankLoad(requestEvent(`/rank?persona=${encodeURIComponent(NUL)}`, { user: annotator, routeId: '/rank' })));
		expect(page).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^persona: .*NUL/) } });
	});
});

describe('skipping a pair', () => {
	it('that does not exist is a 404, and records no skip', async () => {
		const before = await rows(pairSkip);
		const body = { pairId: crypto.randomUUID() };
		const response = await skipPost(jsonRequest('POST', '/api/v1/rank/skips', '/api/v1/rank/skips', body, annotator));
		expect(response.status).toBe(404);
		expect((await response.json()).message).toMatch(/No such pair/);
		expect(await rows(pairSkip)).toBe(before);
	});
});

describe('form actions: a field error, nothing written', () => {
	function form(path: string, routeId: string, me: SessionUser, fields: Record<string, string> | FormData, params: Record<string, string> = {}) {
		return requestEvent(path, { form: fields, user: me, routeId, params });
	}

	it('a NUL in a display name', async () => {
		const before = await rows(user);
		const fields = { email: 'nul-name@example.com', displayName: NUL, role: 'annotator', password: 'a-long-password' };
		const result = await userActions.create!(form('/admin/users?/create', '/admin/users', admin, fields));
		expect(result).toMatchObject({ status: 400, data: { errors: { displayName: expect.stringMatching(/NUL/) } } });
		expect(await rows(user)).toBe(before);
	});

	it('a NUL in a review comment', async () => {
		const [source] = await database.db.select({ id: candidate.id, promptId: candidate.promptId }).from(candidate).limit(1).offset(1);
		const example = await gold.startGold(database.db, { promptId: source!.promptId, sourceCandidateId: source!.id, authorId: annotator.id });
		await gold.saveRevision(database.db, { goldExampleId: example.id, authorId: annotator.id, baseRevision: 1, text: 'An edited reply.' });
		await gold.submitForReview(database.db, { goldExampleId: example.id, authorId: annotator.id, revision: 2 });
		const before = await rows(goldReview);
		const result = await reviewActions.reject!(form(`/review/${example.id}?/reject`, '/review/[id]', reviewer, { revision: '2', comment: NUL }, { id: example.id }));
		expect(result).toMatchObject({ status: 400, data: { errors: { comment: expect.stringMatching(/NUL/) } } });
		expect(await rows(goldReview)).toBe(before);
	});

	it('a malformed multipart body is a 400 before any action runs, not a 500', async () => {
		const { token } = await sessions.signedIn(database.db, admin.id);
		const event = requestEvent('/admin/users?/create', { method: 'POST', cookies: { session: token }, routeId: '/admin/users' });
		const broken = new Request(event.url, {
			method: 'POST',
			headers: { 'content-type': 'multipart/form-data; boundary=x', origin: 'http://localhost' },
			body: '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\nno closing boundary'
		});
		let reached = false;
		const thrown = await thrownBy(() =>
			callHandle(handle, { ...event, request: broken }, () => {
				reached = true;
				return new Response('the action ran');
			})
		);
		expect(thrown).toMatchObject({ status: 400, body: { message: expect.stringMatching(/form could not be read/) } });
		expect(reached).toBe(false);
	});
});

describe('imports: the line is named, nothing is imported', () => {
	const good = JSON.stringify({ prompt: 'A perfectly fine question?' });
	const files = {
		'JSONL with NUL': { name: 'p.jsonl', body: `${good}\n${JSON.stringify({ prompt: NUL })}\n`, line: 2 },
		'JSONL with a lone surrogate': { name: 'p.jsonl', body: `${good}\n${good.replace('fine', 'fine!')}\n${JSON.stringify({ prompt: SURROGATE })}\n`, line: 3 },
		'CSV with a NUL byte': { name: 'p.csv', body: `prompt,domain\nfine question,chat\nbad\u0000cell,chat\n`, line: 3 }
	};

	for (const [label, file] of Object.entries(files)) {
		it(`${label}, uploaded through the form`, async () => {
			const before = await rows(prompt);
			const upload = new FormData();
			upload.set('file', new File([file.body], file.name));
			const result = await promptActions.prompts!(requestEvent('/admin/prompts?/prompts', { form: upload, user: admin, routeId: '/admin/prompts' }));
			expect(result).toMatchObject({ status: 400, data: { promptImport: { errors: [{ line: file.line, message: expect.stringMatching(/NUL|surrogate/) }] } } });
			expect(await rows(prompt)).toBe(before);
		});

		it(`${label}, streamed to /api/v1/imports/prompts`, async () => {
			const before = await rows(prompt);
			const event = requestEvent(`/api/v1/imports/prompts?persona=lynn&name=${file.name}`, { method: 'POST', user: admin, routeId: '/api/v1/imports/[kind]', params: { kind: 'prompts' } });
			const response = await importPost({ ...event, request: new Request(event.url, { method: 'POST', body: file.body }) });
			expect(response.status).toBe(400);
			const answer = await response.json();
			expect(answer).toMatchObject({ imported: 0, errors: [{ line: file.line, message: expect.stringMatching(/NUL|surrogate/) }] });
			expect(JSON.stringify(answer)).not.toMatch(/insert into|params|\n\s+at /i);
			expect(await rows(prompt)).toBe(before);
		});
	}

	it('a NUL in ?persona= or ?name= of the streaming endpoint names the parameter', async () => {
		for (const query of [`persona=${encodeURIComponent(NUL)}&name=p.jsonl`, `name=${encodeURIComponent(`p${NUL}.jsonl`)}`]) {
			const event = requestEvent(`/api/v1/imports/prompts?${query}`, { method: 'POST', user: admin, routeId: '/api/v1/imports/[kind]', params: { kind: 'prompts' } });
			const response = await importPost({ ...event, request: new Request(event.url, { method: 'POST', body: `${good}\n` }) });
			expect(response.status).toBe(400);
			expect((await response.json()).message).toMatch(/^(persona|name): .*NUL/);
		}
	});
});
