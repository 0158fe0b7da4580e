import { eq, inArray, isNotNull, and } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as demo from '$lib/server/demo/seed';
import * as gold from '$lib/server/gold/examples';
import * as queue from '$lib/server/queue';
import { auditEvent, candidate, pair, persona, type Role } from '$lib/server/db/schema';
import type { SessionUser } from '$lib/server/auth/session';
import type { PairView } from '$lib/rank/types';
import { GET as pairsGet } from '../../src/routes/api/v1/rank/pairs/+server';
import { load as rankLoad } from '../../src/routes/rank/+page.server';
import { actions as pairActions, load as pairLoad } from '../../src/routes/admin/queue/pairs/[id]/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import { requestEvent, thrownBy } from '../support/request-event';

let database: TestDatabase;
let admin: SessionUser;
let annotator: SessionUser;
let personaId: string;
let checkIds: Set<string>;

async function member(role: Role): Promise<SessionUser> {
	const [created] = await createUsers(database.db, 1, { role, prefix: `check-routes-${role}-${crypto.randomUUID().slice(0, 4)}` });
	return { id: created!.id, email: created!.email, displayName: `${role} person`, role };
}

function pairEvent(id: string, as: SessionUser, form?: Record<string, string>) {
	return requestEvent(`/admin/queue/pairs/${id}`, { routeId: '/admin/queue/pairs/[id]', params: { id }, user: as, ...(form ? { form } : {}) });
}

/** What a page could tell apart: every key, every value's type, the flags; never ids, text or the conversation's length (prompts differ). */
function shapeOf(view: PairView): unknown {
	const side = (c: PairView['left']) => ({ keys: Object.keys(c).sort(), prewritten: c.prewritten, truncated: c.truncated, html: typeof c.html });
	return { keys: Object.keys(view).sort(), messages: [...new Set(view.messages.flatMap((m) => Object.keys(m)))].sort(), left: side(view.left), right: side(view.right) };
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	await demo.seedDemoWorkspace(database.db);
	[admin, annotator] = [await member('admin'), await member('annotator')];
	const [lynn] = await database.db.select({ id: persona.id }).from(persona).where(eq(persona.slug, demo.DEMO_PERSONA_SLUG));
	personaId = lynn!.id;
	// every slot a check, so the annotator's hand below is all checks (set before the persona is first looked up and cached)
	await database.db.update(persona).set({ qualitySettings: { checkEvery: 1 } }).where(eq(persona.id, personaId));
	// one check from an approved gold edit, whose reply is written by people rather than drawn from the demo pool
	const [author, reviewer] = [await member('annotator'), await member('reviewer')];
	const [source] = await database.db.select().from(candidate).where(eq(candidate.source, 'demo')).limit(1);
	const example = await gold.startGold(database.db, { promptId: source!.promptId, sourceCandidateId: source!.id, authorId: author.id });
	await gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 1, text: 'An edit by people.' });
	await gold.submitForReview(database.db, { goldExampleId: example.id, authorId: author.id, revision: 2 });
	await gold.reviewExample(database.db, { goldExampleId: example.id, reviewerId: reviewer.id, revision: 2, decision: 'approved' });
	checkIds = new Set((await database.db.select({ id: pair.id }).from(pair).where(and(eq(pair.personaId, personaId), isNotNull(pair.knownAnswer)))).map((r) => r.id));
});

afterAll(async () => {
	await runtime.stop();
});

describe('checks look like every other pair', () => {
	it('sends a check with the same shape as a regular pair, and nothing that names it', async () => {
		const response = await pairsGet(requestEvent(`/api/v1/rank/pairs?persona=${demo.DEMO_PERSONA_SLUG}`, { user: annotator, routeId: '/api/v1/rank/pairs' }));
		const body = await response.text();
		const checks = (JSON.parse(body) as { pairs: PairView[] }).pairs;
		expect(checks.length).toBe(2);
		expect(checks.every((p) => checkIds.has(p.pairId))).toBe(true);
		const [regular] = await queue.pairsInHand(database.db, admin.id, personaId, { leaseMinutes: 20, checkEvery: 0 });
		expect(checkIds.has(regular!.pairId)).toBe(false);
		for (const check of checks) expect(shapeOf(check)).toEqual(shapeOf(regular!));
		expect(body).not.toMatch(/known_?answer|gold_edit|Approved gold edits/i);
		const page = JSON.stringify(((await rankLoad(requestEvent(`/rank?persona=${demo.DEMO_PERSONA_SLUG}`, { user: annotator, routeId: '/rank' }))) as { pairs: unknown }).pairs);
		expect(page).not.toMatch(/known_?answer|gold_edit|Approved gold edits/i);
	});

	it('shows a gold edit as pre-written when the reply it was edited from is', async () => {
		const [edit] = await database.db.select({ id: candidate.id }).from(candidate).where(eq(candidate.source, 'gold_edit'));
		const seen: PairView[] = [];
		const ranker = await member('annotator');
		for (let hand = await queue.pairsInHand(database.db, ranker.id, personaId, { leaseMinutes: 20, checkEvery: 1 }); hand.length; ) {
			seen.push(...hand.filter((p) => !seen.some((s) => s.pairId === p.pairId)));
			for (const p of hand) await queue.skipPair(database.db, ranker.id, p.pairId);
			hand = await queue.pairsInHand(database.db, ranker.id, personaId, { leaseMinutes: 20, checkEvery: 1 });
		}
		const withEdit = seen.find((p) => p.left.candidateId === edit!.id || p.right.candidateId === edit!.id);
		expect(withEdit).toBeDefined();
		expect([withEdit!.left.prewritten, withEdit!.right.prewritten]).toEqual([true, true]);
	});
});

describe('marking checks from the pair page', () => {
	it('marks a pair as a check, changes nothing when asked again, and unmarks it; each change audited', async () => {
		const [regular] = await database.db.select({ id: pair.id }).from(pair).where(and(eq(pair.personaId, personaId), inArray(pair.knownAnswer, ['a']))).limit(1);
		const id = regular!.id;
		await pairActions.unmark!(pairEvent(id, admin));
		expect(await pairActions.mark!(pairEvent(id, admin, { knownAnswer: 'tie' }))).toMatchObject({ marked: true });
		expect(await pairActions.mark!(pairEvent(id, admin, { knownAnswer: 'tie' }))).toMatchObject({ marked: false });
		const [marked] = await database.db.select().from(pair).where(eq(pair.id, id));
		expect(marked).toMatchObject({ knownAnswer: 'tie', judgmentCount: 0, leaseCount: 0 });
		expect(await pairActions.unmark!(pairEvent(id, admin))).toEqual({ unmarked: true });
		expect(await pairActions.unmark!(pairEvent(id, admin))).toEqual({ unmarked: false });
		const events = await database.db.select({ action: auditEvent.action }).from(auditEvent).where(eq(auditEvent.targetId, id)).orderBy(auditEvent.createdAt);
		expect(events.map((e) => e.action)).toEqual(['queue.check.unmark', 'queue.check.mark', 'queue.check.unmark']);
	});

	it('answers a bad expected answer with 400 naming knownAnswer, and an unknown pair with 404', async () => {
		const [any] = await database.db.select({ id: pair.id }).from(pair).where(eq(pair.personaId, personaId)).limit(1);
		expect(await pairActions.mark!(pairEvent(any!.id, admin, { knownAnswer: 'left' }))).toMatchObject({ status: 400, data: { errors: { knownAnswer: expect.any(String) } } });
		expect(await pairActions.mark!(pairEvent(any!.id, admin, {}))).toMatchObject({ status: 400, data: { errors: { knownAnswer: expect.any(String) } } });
		expect(await pairActions.mark!(pairEvent(crypto.randomUUID(), admin, { knownAnswer: 'a' }))).toMatchObject({ status: 404 });
		expect(await thrownBy(() => pairActions.mark!(pairEvent('not-a-pair', admin, { knownAnswer: 'a' })))).toMatchObject({ status: 404 });
		expect(await thrownBy(() => pairLoad(pairEvent('not-a-pair', admin)))).toMatchObject({ status: 404 });
	});

	it('lets only admins see a pair or mark it', async () => {
		const [any] = await database.db.select({ id: pair.id }).from(pair).where(eq(pair.personaId, personaId)).limit(1);
		expect(await thrownBy(() => pairLoad(pairEvent(any!.id, annotator)))).toMatchObject({ status: 403 });
		expect(await thrownBy(() => pairActions.mark!(pairEvent(any!.id, annotator, { knownAnswer: 'a' })))).toMatchObject({ status: 403 });
	});

	it('shows the prompt, both replies, the votes so far and their majority', async () => {
		const [judged] = await queue.pairsInHand(database.db, admin.id, personaId, { leaseMinutes: 20 });
		await queue.submitJudgment(database.db, admin.id, { clientId: crypto.randomUUID(), pairId: judged!.pairId, preferred: 'tie' });
		const data = (await pairLoad(pairEvent(judged!.pairId, admin))) as { pair: { a: { html: string }; b: { html: string }; votes: Array<{ choice: string }>; messages: unknown[]; majority: unknown } };
		expect(data.pair.messages.length).toBeGreaterThan(0);
		expect(data.pair.a.html.length).toBeGreaterThan(0);
		expect(data.pair.b.html.length).toBeGreaterThan(0);
		expect(data.pair.votes.map((v) => v.choice)).toEqual(['tie']);
		expect(data.pair.majority).toEqual({ votes: 1, majority: 'tie', agreeing: 1, share: 1 });
	});
});
