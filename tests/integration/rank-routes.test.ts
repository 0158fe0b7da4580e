import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { requestEvent, thrownBy } from '../support/request-event';
import * as runtime from '../../src/lib/server/runtime';
import { judgment, lease, pair, user } from '../../src/lib/server/db/schema';
import type { SessionUser } from '../../src/lib/server/auth/session';
import type { PairView } from '../../src/lib/rank/types';
import { POST as submitPost } from '../../src/routes/api/v1/rank/judgments/+server';
import { POST as skipPost } from '../../src/routes/api/v1/rank/skips/+server';
import { POST as undoPost } from '../../src/routes/api/v1/rank/undo/+server';
import { GET as pairsGet } from '../../src/routes/api/v1/rank/pairs/+server';
import { load as rankLoad } from '../../src/routes/rank/+page.server';
import { actions as queueActions, load as queueLoad } from '../../src/routes/admin/queue/+page.server';

let database: TestDatabase;
let slug: string;
let annotator: SessionUser;
let admin: SessionUser;

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	slug = `routes-${crypto.randomUUID().slice(0, 6)}`;
	await createPersonaWithPairs(database.db, { pairs: 6, overlap: 1, slug });
	const [a] = await createUsers(database.db, 1);
	const [b] = await createUsers(database.db, 1, { role: 'admin' });
	annotator = { id: a!.id, email: a!.email, displayName: 'Annotator', role: 'annotator' };
	admin = { id: b!.id, email: b!.email, displayName: 'Admin', role: 'admin' };
});
afterAll(async () => {
	await runtime.stop();
});

function post(path: string, body: unknown, me: SessionUser | null = annotator) {
	const event = requestEvent(path, { method: 'POST', user: me, routeId: path });
	return { ...event, request: new Request(event.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
}

async function inHand(): Promise<PairView[]> {
	const response = await pairsGet(requestEvent(`/api/v1/rank/pairs?persona=${slug}`, { user: annotator, routeId: '/api/v1/rank/pairs' }));
	return ((await response.json()) as { pairs: PairView[] }).pairs;
}

function judgmentOf(p: PairView, extra: Record<string, unknown> = {}) {
	return { clientId: crypto.randomUUID(), pairId: p.pairId, leftCandidateId: p.leftCandidateId, preferred: 'left', strength: 2, ...extra };
}

async function judgments(): Promise<number> {
	const [row] = await database.db.select({ n: count() }).from(judgment).where(eq(judgment.annotatorId, annotator.id));
	return row!.n;
}

describe('the ranking endpoints', () => {
	it('answer 401 to anyone not signed in', async () => {
		const thrown = await thrownBy(() => submitPost(post('/api/v1/rank/judgments', {}, null)));
		expect(thrown).toMatchObject({ status: 401 });
	});

	it('refuse a sided choice without a strength, naming the field, and store nothing', async () => {
		const [p] = await inHand();
		const response = await submitPost(post('/api/v1/rank/judgments', { persona: slug, judgment: judgmentOf(p!, { strength: null }) }));
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ errors: { 'judgment.strength': expect.stringMatching(/how much better/i) } });
		expect(await judgments()).toBe(0);
	});

	it('record a judgment and bring the next pairs in the same answer; a retry is stored once', async () => {
		const [first, second] = await inHand();
		const body = { persona: slug, judgment: judgmentOf(first!, { rationale: 'sounds like her :>' }) };
		const response = await submitPost(post('/api/v1/rank/judgments', body));
		const answer = (await response.json()) as { status: string; pairs: PairView[] };
		expect(answer.status).toBe('recorded');
		expect(answer.pairs.map((p) => p.pairId)).not.toContain(first!.pairId);
		expect(answer.pairs[0]?.pairId).toBe(second!.pairId);
		expect(answer.pairs).toHaveLength(2);
		const retry = (await (await submitPost(post('/api/v1/rank/judgments', body))).json()) as { status: string };
		expect(retry.status).toBe('duplicate');
		expect(await judgments()).toBe(1);
	});

	it('answer 409 when the same pair is judged again under another id', async () => {
		const [p] = await inHand();
		await submitPost(post('/api/v1/rank/judgments', { persona: slug, judgment: judgmentOf(p!) }));
		const again = await submitPost(post('/api/v1/rank/judgments', { persona: slug, judgment: judgmentOf(p!, { preferred: 'tie', strength: null }) }));
		expect(again.status).toBe(409);
	});

	it('skip a pair and undo the last judgment, which comes back first', async () => {
		const [p] = await inHand();
		const skipped = (await (await skipPost(post('/api/v1/rank/skips', { persona: slug, pairId: p!.pairId }))).json()) as { pairs: PairView[] };
		expect(skipped.pairs.map((x) => x.pairId)).not.toContain(p!.pairId);
		const target = skipped.pairs[0]!;
		const vote = judgmentOf(target);
		await submitPost(post('/api/v1/rank/judgments', { persona: slug, judgment: vote }));
		const undone = (await (await undoPost(post('/api/v1/rank/undo', { persona: slug, clientId: vote.clientId }))).json()) as { pairs: PairView[] };
		expect(undone.pairs[0]?.pairId).toBe(target.pairId);
		// the answer was lost and the page asks again: the undo already took effect, which is success
		const twice = await undoPost(post('/api/v1/rank/undo', { persona: slug, clientId: vote.clientId }));
		expect(twice.status).toBe(200);
		expect(await twice.json()).toMatchObject({ undone: true, already: true });
		const unknown = await undoPost(post('/api/v1/rank/undo', { persona: slug, clientId: crypto.randomUUID() }));
		expect(unknown.status).toBe(400);
	});

	it('store the left side of the hand-out, not the one the client claims', async () => {
		const [p] = await inHand();
		const forged = judgmentOf(p!, { leftCandidateId: p!.right.candidateId, preferred: 'left', strength: 3 });
		const response = await submitPost(post('/api/v1/rank/judgments', { persona: slug, judgment: forged }));
		expect(response.status).toBe(200);
		const [row] = await database.db.select().from(judgment).where(eq(judgment.clientId, forged.clientId));
		const [target] = await database.db.select().from(pair).where(eq(pair.id, p!.pairId));
		expect(row?.leftCandidateId).toBe(p!.left.candidateId);
		// "left" is the reply the annotator saw on the left
		expect(row?.choice).toBe(p!.left.candidateId === target!.candidateAId ? 'a' : 'b');
	});

	it('answer 409 to a judgment of a pair never handed out, and store nothing', async () => {
		const [p] = await inHand();
		const [stranger] = await createUsers(database.db, 1);
		const me: SessionUser = { id: stranger!.id, email: stranger!.email, displayName: 'Stranger', role: 'annotator' };
		const vote = { clientId: crypto.randomUUID(), pairId: p!.pairId, preferred: 'tie' };
		const response = await submitPost(post('/api/v1/rank/judgments', { persona: slug, judgment: vote }, me));
		expect(response.status).toBe(409);
		expect(await response.json()).toMatchObject({ message: expect.stringMatching(/never handed to you/) });
		expect(await database.db.select().from(judgment).where(eq(judgment.clientId, vote.clientId))).toEqual([]);
	});

	it('serve the ranking page with the pairs in hand, the same on a reload', async () => {
		const event = () => requestEvent(`/rank?persona=${slug}`, { user: annotator, routeId: '/rank' });
		const first = (await rankLoad(event())) as { pairs: PairView[]; queueLeft: { count: number } };
		const again = (await rankLoad(event())) as { pairs: PairView[] };
		expect(again.pairs.map((p) => p.pairId)).toEqual(first.pairs.map((p) => p.pairId));
		expect(first.queueLeft.count).toBeGreaterThanOrEqual(first.pairs.length);
	});
});

describe('the admin queue page', () => {
	it('is for admins only', async () => {
		const thrown = await thrownBy(() => queueLoad(requestEvent(`/admin/queue?persona=${slug}`, { user: annotator, routeId: '/admin/queue' })));
		expect(thrown).toMatchObject({ status: 403 });
	});

	it('shows pairs by state and each annotator’s progress', async () => {
		const data = (await queueLoad(requestEvent(`/admin/queue?persona=${slug}`, { user: admin, routeId: '/admin/queue' }))) as {
			stats: { pairs: number; done: number; leased: number };
			annotators: Array<{ userId: string; total: number; leases: number }>;
		};
		expect(data.stats.pairs).toBe(6);
		expect(data.stats.done).toBe(await judgments());
		const me = data.annotators.find((a) => a.userId === annotator.id);
		expect(me).toMatchObject({ total: await judgments(), leases: data.stats.leased });
	});

	it('releases an annotator’s stuck leases, and refuses a form without one', async () => {
		const bad = await queueActions.release!(requestEvent(`/admin/queue?/release&persona=${slug}`, { user: admin, form: { annotatorId: 'nope' } }));
		expect(bad).toMatchObject({ status: 400, data: { errors: { annotatorId: expect.any(String) } } });
		const result = await queueActions.release!(
			requestEvent(`/admin/queue?/release&persona=${slug}`, { user: admin, form: { annotatorId: annotator.id } })
		);
		expect(result).toMatchObject({ released: expect.any(Number) });
		expect(await database.db.select().from(lease).where(eq(lease.annotatorId, annotator.id))).toEqual([]);
		const [exists] = await database.db.select({ id: user.id }).from(user).where(eq(user.id, annotator.id));
		expect(exists).toBeDefined();
	});
});
