import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import * as demo from '../../src/lib/server/demo/seed';
import * as gold from '../../src/lib/server/gold/examples';
import { candidate, goldExample } from '../../src/lib/server/db/schema';
import { findPersona } from '../../src/lib/server/personas/find';

let database: TestDatabase;
let author: { id: string };
let reviewer: { id: string };
let source: { id: string; promptId: string; text: string };
let personaId: string;

beforeAll(async () => {
	database = await createTestDatabase();
	await demo.seedDemoWorkspace(database.db);
	author = (await createUsers(database.db, 1))[0]!;
	reviewer = (await createUsers(database.db, 1, { role: 'reviewer' }))[0]!;
	const [c] = await database.db.select({ id: candidate.id, promptId: candidate.promptId, text: candidate.text }).from(candidate).limit(1);
	source = c!;
	personaId = (await findPersona(database.db, 'lynn')).id;
});
afterAll(async () => {
	await database.close();
});

async function statusOf(id: string): Promise<string> {
	const [row] = await database.db.select({ status: goldExample.status }).from(goldExample).where(eq(goldExample.id, id));
	return row!.status;
}

describe('gold examples', () => {
	it('start from a candidate’s text (revision 1) or empty, for a prompt it answers', async () => {
		const edited = await gold.startGold(database.db, { promptId: source.promptId, sourceCandidateId: source.id, authorId: author.id });
		expect(edited).toMatchObject({ revision: 1, text: source.text });
		const blank = await gold.startGold(database.db, { promptId: source.promptId, authorId: author.id });
		expect(blank.text).toBe('');
		const [other] = await database.db.select({ id: candidate.id }).from(candidate).where(eq(candidate.promptId, source.promptId));
		const [elsewhere] = (await database.db.select({ promptId: candidate.promptId }).from(candidate)).filter((c) => c.promptId !== source.promptId);
		await expect(gold.startGold(database.db, { promptId: elsewhere!.promptId, sourceCandidateId: other!.id, authorId: author.id })).rejects.toThrow(/does not answer/);
	});

	it('keeps every save as a revision; a save from a stale base is a conflict carrying both texts', async () => {
		const example = await gold.startGold(database.db, { promptId: source.promptId, sourceCandidateId: source.id, authorId: author.id });
		expect(await gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 1, text: 'tab one :>' })).toEqual({ revision: 2, saved: true });
		const stale = gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 1, text: 'tab two' });
		await expect(stale).rejects.toBeInstanceOf(gold.GoldConflictError);
		await stale.catch((e: gold.GoldConflictError) => expect(e.conflict).toEqual({ latestRevision: 2, latestText: 'tab one :>', yourText: 'tab two' }));
		expect(await gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 2, text: 'tab one :>' })).toEqual({ revision: 2, saved: false });
		expect((await gold.historyOf(database.db, example.id)).revisions.map((r) => r.text)).toEqual([source.text, 'tab one :>']);
	});

	it('lets two saves from the same base at the same instant store one, and tell the other', async () => {
		const example = await gold.startGold(database.db, { promptId: source.promptId, authorId: author.id });
		const results = await Promise.allSettled([
			gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 1, text: 'first' }),
			gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 1, text: 'second' })
		]);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof gold.GoldConflictError)).toHaveLength(1);
		expect((await gold.historyOf(database.db, example.id)).revisions).toHaveLength(2);
	});

	it('goes through review: changes requested, revised, approved — history keeps every step', async () => {
		const example = await gold.startGold(database.db, { promptId: source.promptId, sourceCandidateId: source.id, authorId: author.id });
		await gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 1, text: 'ok so, honestly: yes :>' });
		await gold.submitForReview(database.db, { goldExampleId: example.id, authorId: author.id, revision: 2 });
		await expect(gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 2, text: 'sneaky' })).rejects.toThrow(/submitted/);
		await expect(gold.reviewExample(database.db, { goldExampleId: example.id, reviewerId: reviewer.id, revision: 2, decision: 'changes_requested' })).rejects.toThrow(/what should change/);
		await gold.reviewExample(database.db, { goldExampleId: example.id, reviewerId: reviewer.id, revision: 2, ...gold.reviewInputSchema.parse({ decision: 'changes_requested', comment: 'A bit more Lynn, less robot.' }) });
		expect(await statusOf(example.id)).toBe('changes_requested');
		await gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 2, text: 'ok so, honestly: yes :> (I checked twice)' });
		await gold.submitForReview(database.db, { goldExampleId: example.id, authorId: author.id, revision: 3 });
		await gold.reviewExample(database.db, { goldExampleId: example.id, reviewerId: reviewer.id, revision: 3, decision: 'approved' });
		expect(await statusOf(example.id)).toBe('approved');
		const history = await gold.historyOf(database.db, example.id);
		expect(history.revisions.map((r) => r.revision)).toEqual([1, 2, 3]);
		expect(history.reviews.map((r) => [r.revision, r.decision])).toEqual([
			[2, 'changes_requested'],
			[3, 'approved']
		]);
	});

	it('refuses a reviewer approving their own example, on the server', async () => {
		const own = await gold.startGold(database.db, { promptId: source.promptId, sourceCandidateId: source.id, authorId: reviewer.id });
		await gold.saveRevision(database.db, { goldExampleId: own.id, authorId: reviewer.id, baseRevision: 1, text: 'my own take' });
		await gold.submitForReview(database.db, { goldExampleId: own.id, authorId: reviewer.id, revision: 2 });
		await expect(gold.reviewExample(database.db, { goldExampleId: own.id, reviewerId: reviewer.id, revision: 2, decision: 'approved' })).rejects.toThrow(/own example/);
		expect(await statusOf(own.id)).toBe('submitted');
	});

	it('turns an approved edit of a model reply into a preference, gold over the original, marked as such', async () => {
		const prefs = await gold.implicitPreferences(database.db, personaId);
		expect(prefs.length).toBeGreaterThanOrEqual(1);
		const mine = prefs.find((p) => p.chosen === 'ok so, honestly: yes :> (I checked twice)');
		expect(mine).toMatchObject({ rejected: source.text, rejectedCandidateId: source.id, source: 'gold_edit', promptId: source.promptId });
		// written from scratch, or not approved: no preference
		expect(prefs.every((p) => p.rejected !== '')).toBe(true);
	});
});
