import { isHttpError } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as demo from '$lib/server/demo/seed';
import * as gold from '$lib/server/gold/examples';
import * as lists from '$lib/server/gold/lists';
import { candidate, goldExample, prompt, type Role } from '$lib/server/db/schema';
import { findPersona } from '$lib/server/personas/find';
import type { SessionUser } from '$lib/server/auth/session';
import { actions as reviewActions, load as reviewLoad } from '../../src/routes/review/[id]/+page.server';
import { load as queueLoad } from '../../src/routes/review/+page.server';
import { actions as galleryActions } from '../../src/routes/gold/+page.server';
import { load as rankLoad } from '../../src/routes/rank/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import { requestEvent, thrownBy } from '../support/request-event';

let database: TestDatabase;
let annotator: SessionUser;
let reviewer: SessionUser;
let otherReviewer: SessionUser;
let admin: SessionUser;
let personaId: string;
let source: { id: string; promptId: string; text: string };
/** Submitted by the annotator, from a model reply. */
let submitted: string;
/** Submitted by the reviewer: they may not review it. */
let reviewersOwn: string;
let drafts: string[];

async function member(role: Role): Promise<SessionUser> {
	const [created] = await createUsers(database.db, 1, { role, prefix: `gold-${role}-${crypto.randomUUID().slice(0, 4)}` });
	return { id: created!.id, email: created!.email, displayName: `${role} person`, role };
}

async function submit(authorId: string, text: string): Promise<string> {
	const example = await gold.startGold(database.db, { promptId: source.promptId, sourceCandidateId: source.id, authorId });
	await gold.saveRevision(database.db, { goldExampleId: example.id, authorId, baseRevision: 1, text });
	await gold.submitForReview(database.db, { goldExampleId: example.id, authorId, revision: 2 });
	return example.id;
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	await demo.seedDemoWorkspace(database.db);
	[annotator, reviewer, otherReviewer, admin] = [await member('annotator'), await member('reviewer'), await member('reviewer'), await member('admin')];
	const [c] = await database.db.select({ id: candidate.id, promptId: candidate.promptId, text: candidate.text }).from(candidate).limit(1);
	source = c!;
	personaId = (await findPersona(database.db, demo.DEMO_PERSONA_SLUG)).id;
	submitted = await submit(annotator.id, 'alpha: honestly, yes :> and here is why');
	reviewersOwn = await submit(reviewer.id, 'beta: my own take on it');
	drafts = [];
	for (let i = 0; i < 11; i++) drafts.push((await gold.startGold(database.db, { promptId: source.promptId, authorId: annotator.id })).id);
});

afterAll(async () => {
	await runtime.stop();
});

const query = (params: Record<string, string>) => lists.goldQuerySchema.parse(new URLSearchParams(params));

async function statusOf(id: string): Promise<string> {
	const [row] = await database.db.select({ status: goldExample.status }).from(goldExample).where(eq(goldExample.id, id));
	return row!.status;
}

function reviewEvent(id: string, as: SessionUser, form?: Record<string, string>) {
	return requestEvent(`/review/${id}`, { routeId: '/review/[id]', params: { id }, user: as, form });
}

describe('listGold', () => {
	it('falls back to defaults for a hand-edited link instead of failing', () => {
		expect(query({ status: 'nonsense', sort: 'x', dir: 'up', page: '-3', pageSize: '7', author: 'me', from: 'yesterday' })).toMatchObject({
			status: 'any', sort: 'updated', dir: 'desc', page: 1, pageSize: 25, author: undefined, from: undefined
		});
	});

	it('filters by status and author, and searches the latest revision’s text', async () => {
		const waiting = await lists.listGold(database.db, query({ status: 'submitted' }));
		expect(waiting.rows.map((r) => r.id).sort()).toEqual([submitted, reviewersOwn].sort());
		const byReviewer = await lists.listGold(database.db, query({ author: reviewer.id }));
		expect(byReviewer.rows.map((r) => r.id)).toEqual([reviewersOwn]);
		const found = await lists.listGold(database.db, query({ q: 'ALPHA: honestly' }));
		expect(found.rows).toEqual([expect.objectContaining({ id: submitted, status: 'submitted', revision: 2, authorName: expect.any(String), pinned: false })]);
		// the candidate's original text is revision 1, no longer the latest: it does not match
		expect((await lists.listGold(database.db, query({ q: source.text.slice(0, 30), status: 'submitted' }))).total).toBe(0);
	});

	it('filters by domain and by the day it was last updated', async () => {
		const [p] = await database.db.select({ domain: prompt.domain }).from(prompt).where(eq(prompt.id, source.promptId));
		expect((await lists.listGold(database.db, query({ domain: p!.domain }))).total).toBe(13);
		expect((await lists.listGold(database.db, query({ domain: 'no-such-domain' }))).total).toBe(0);
		const today = new Date().toISOString().slice(0, 10);
		expect((await lists.listGold(database.db, query({ from: today, to: today }))).total).toBe(13);
		expect((await lists.listGold(database.db, query({ to: '2000-01-01' }))).total).toBe(0);
	});

	it('sorts oldest first on request and pages without overlap', async () => {
		const oldest = await lists.listGold(database.db, query({ sort: 'updated', dir: 'asc', pageSize: '10' }));
		expect(oldest.total).toBe(13);
		expect(oldest.rows).toHaveLength(10);
		const times = oldest.rows.map((r) => r.updatedAt.getTime());
		expect(times).toEqual([...times].sort((a, b) => a - b));
		const second = await lists.listGold(database.db, query({ sort: 'updated', dir: 'asc', pageSize: '10', page: '2' }));
		expect(second.rows).toHaveLength(3);
		expect(new Set([...oldest.rows, ...second.rows].map((r) => r.id)).size).toBe(13);
		expect(await lists.listGold(database.db, query({ page: '9' }))).toEqual({ rows: [], total: 13 });
	});

	it('opens the review queue on what is submitted, oldest first', async () => {
		const data = (await queueLoad(requestEvent('/review', { routeId: '/review', user: reviewer }))) as { rows: lists.GoldRow[]; query: lists.GoldQuery };
		expect(data.query).toMatchObject({ status: 'submitted', dir: 'asc' });
		expect(data.rows.map((r) => r.id)).toEqual([submitted, reviewersOwn]);
		expect(await thrownBy(() => queueLoad(requestEvent('/review', { routeId: '/review', user: annotator })))).toMatchObject({ status: 403 });
	});
});

describe('reviewing through the page', () => {
	it('refuses a request for changes without a comment, naming the field', async () => {
		const result = await reviewActions.requestChanges!(reviewEvent(submitted, otherReviewer, { revision: '2', comment: '  ' }));
		expect(result).toMatchObject({ status: 400, data: { errors: { comment: expect.stringMatching(/what should change/) } } });
		expect(await statusOf(submitted)).toBe('submitted');
	});

	it('refuses the author’s own approval, and nothing changes', async () => {
		const page = (await reviewLoad(reviewEvent(reviewersOwn, reviewer))) as { example: { mine: boolean } };
		expect(page.example.mine).toBe(true);
		const result = await reviewActions.approve!(reviewEvent(reviewersOwn, reviewer, { revision: '2' }));
		expect(result).toMatchObject({ status: 400, data: { errors: { decision: expect.stringMatching(/own example/) } } });
		expect(await statusOf(reviewersOwn)).toBe('submitted');
		expect((await gold.historyOf(database.db, reviewersOwn)).reviews).toHaveLength(0);
	});

	it('lets another reviewer approve the revision shown, and keeps the decision in the history', async () => {
		expect(await reviewActions.approve!(reviewEvent(submitted, otherReviewer, { revision: '2', comment: 'Very Lynn.' }))).toEqual({ decided: 'approved' });
		expect(await statusOf(submitted)).toBe('approved');
		const page = (await reviewLoad(reviewEvent(submitted, reviewer))) as { history: { reviews: Array<{ decision: string; comment: string | null }> } };
		expect(page.history.reviews).toEqual([expect.objectContaining({ decision: 'approved', comment: 'Very Lynn.' })]);
		// a second decision on what is no longer waiting is a conflict for the whole form
		expect(await reviewActions.reject!(reviewEvent(submitted, reviewer, { revision: '2', comment: 'late' }))).toMatchObject({ status: 409 });
	});

	it('answers 404 for an example that does not exist, and 403 to an annotator', async () => {
		const missing = crypto.randomUUID();
		const notFound = await thrownBy(() => reviewActions.approve!(reviewEvent(missing, reviewer, {})));
		expect(isHttpError(notFound) && notFound.status).toBe(404);
		expect(await thrownBy(() => reviewActions.approve!(reviewEvent(submitted, annotator, { revision: '2' })))).toMatchObject({ status: 403 });
	});
});

describe('pinned examples', () => {
	const pinEvent = (as: SessionUser, id: string, action: 'pin' | 'unpin') =>
		requestEvent(`/gold?/${action}`, { routeId: '/gold', user: as, form: { id } });

	it('lets an admin pin and unpin an approved example; an annotator may not', async () => {
		expect(await thrownBy(() => galleryActions.pin!(pinEvent(annotator, submitted, 'pin')))).toMatchObject({ status: 403 });
		expect(await galleryActions.pin!(pinEvent(admin, reviewersOwn, 'pin'))).toMatchObject({ status: 409 });
		expect(await galleryActions.pin!(pinEvent(admin, 'not-an-id', 'pin'))).toMatchObject({ status: 400, data: { errors: { id: expect.any(String) } } });
		expect(await galleryActions.pin!(pinEvent(admin, submitted, 'pin'))).toEqual({ pinned: true, id: submitted });
		expect((await lists.listGold(database.db, query({ status: 'approved' }))).rows).toEqual([expect.objectContaining({ id: submitted, pinned: true })]);
		expect(await galleryActions.unpin!(pinEvent(admin, submitted, 'unpin'))).toEqual({ pinned: false, id: submitted });
		expect(await lists.pinnedExamples(database.db, personaId)).toEqual([]);
	});

	it('gives the pinned approved examples, prompt and approved text, to the ranking page', async () => {
		await lists.pinExample(database.db, submitted, true, { id: admin.id });
		const pinned = await lists.pinnedExamples(database.db, personaId);
		expect(pinned).toEqual([expect.objectContaining({ id: submitted, text: 'alpha: honestly, yes :> and here is why' })]);
		expect(pinned[0]!.messages.at(-1)?.role).toBe('user');
		const page = (await rankLoad(requestEvent('/rank', { routeId: '/rank', user: annotator }))) as { pinned: Array<{ id: string; html: string }> };
		expect(page.pinned).toEqual([expect.objectContaining({ id: submitted, html: expect.stringContaining('honestly, yes') })]);
	});
});
