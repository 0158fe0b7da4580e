import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes, type VoteFixture } from '../support/judgments';
import { judgment, pair, qualityAnnotator, qualitySnapshot } from '../../src/lib/server/db/schema';
import { computeSnapshot } from '../../src/lib/server/quality/compute';
import { latestSnapshot } from '../../src/lib/server/quality/snapshots';
import { alpha, longestRun } from '../../src/lib/server/quality/stats';

/*
 * A hand-checked dataset: three annotators, five pairs and one check.
 *
 *          P1      P2    P3     P4      P5 (8 days ago)   C (check, known a)
 *   X      a2 L    tie   a3     b1      off               a
 *   Y      a2      tie   b3     b2 R    –                 b
 *   Z      b1      tie   –      a4      off               –
 *
 * (aN: answer a with strength N; L: X answered P1 in 0.1 s; R: B was shown on the left.)
 * Leave-one-out: X — P1 others tie (out), P2 agrees, P3 disagrees, P4 others tie (out), P5 agrees → 2 of 3.
 *                Y — P1 out, P2 agrees, P3 disagrees, P4 out → 1 of 2.
 *                Z — P1 disagrees (others: a a), P2 agrees, P4 disagrees (others: b b), P5 agrees → 2 of 4.
 */
let database: TestDatabase;
let personaId: string;
let ids: { X: string; Y: string; Z: string };
let snapshotId: string;

const hour = 3_600_000;
const units = {
	nominal: [[0, 0, 1], [2, 2, 2], [0, 1], [1, 1, 0], [3, 3]],
	ordinal: [[2, 2, -1], [0, 0, 0], [3, -3], [-1, -2, 4], []]
};

beforeAll(async () => {
	database = await createTestDatabase();
	({ personaId } = await createPersonaWithPairs(database.db, { pairs: 6, overlap: 3 }));
	const [x, y, z] = await createUsers(database.db, 3);
	ids = { X: x!.id, Y: y!.id, Z: z!.id };
	const pairs = await database.db.select({ id: pair.id }).from(pair).where(eq(pair.personaId, personaId)).orderBy(asc(pair.createdAt));
	const [P1, P2, P3, P4, P5, C] = pairs.map((p) => p.id);
	await database.db.update(pair).set({ knownAnswer: 'a' }).where(eq(pair.id, C!));
	let t = Date.now() - 2 * hour;
	const at = () => new Date((t += 1000));
	const votes: VoteFixture[] = [
		{ pairId: P5!, annotatorId: ids.X, choice: 'both_off_persona', at: new Date(Date.now() - 8 * 24 * hour) },
		{ pairId: P5!, annotatorId: ids.Z, choice: 'both_off_persona', at: new Date(Date.now() - 8 * 24 * hour + 1000) },
		{ pairId: P1!, annotatorId: ids.X, choice: 'a', strength: 2, at: at() },
		{ pairId: P1!, annotatorId: ids.Y, choice: 'a', strength: 2, at: at() },
		{ pairId: P1!, annotatorId: ids.Z, choice: 'b', strength: 1, at: at() },
		{ pairId: P2!, annotatorId: ids.X, choice: 'tie', at: at() },
		{ pairId: P2!, annotatorId: ids.Y, choice: 'tie', at: at() },
		{ pairId: P2!, annotatorId: ids.Z, choice: 'tie', at: at() },
		{ pairId: P3!, annotatorId: ids.X, choice: 'a', strength: 3, at: at() },
		{ pairId: P3!, annotatorId: ids.Y, choice: 'b', strength: 3, at: at() },
		{ pairId: P4!, annotatorId: ids.X, choice: 'b', strength: 1, at: at() },
		{ pairId: P4!, annotatorId: ids.Y, choice: 'b', strength: 2, aOnLeft: false, at: at() },
		{ pairId: P4!, annotatorId: ids.Z, choice: 'a', strength: 4, at: at() },
		{ pairId: C!, annotatorId: ids.X, choice: 'a', strength: 3, at: at() },
		{ pairId: C!, annotatorId: ids.Y, choice: 'b', strength: 2, at: at() }
	];
	const [, , fast] = await addVotes(database.db, votes);
	await database.db.update(judgment).set({ durationMs: 100 }).where(eq(judgment.id, fast!));
	snapshotId = await computeSnapshot(database.db, personaId);
});
afterAll(async () => {
	await database.close();
});

async function rowOf(annotatorId: string) {
	const rows = await database.db.select().from(qualityAnnotator).where(eq(qualityAnnotator.snapshotId, snapshotId));
	return rows.find((r) => r.annotatorId === annotatorId)!;
}

describe('a quality snapshot of a hand-checked dataset', () => {
	it('records what it was computed from', async () => {
		const snapshot = await latestSnapshot(database.db, personaId);
		const [newest] = await database.db.select({ at: sql<Date>`max(${judgment.createdAt})` }).from(judgment);
		expect(snapshot).toMatchObject({ id: snapshotId, judgments: 15 });
		expect(snapshot!.lastJudgmentAt!.getTime()).toBe(new Date(newest!.at).getTime());
	});

	it('computes α on the pairs without a known answer, as alpha() does on the same units', async () => {
		const { figures } = (await latestSnapshot(database.db, personaId))!;
		expect(figures.overall.judgments).toBe(13);
		expect(figures.overall.alphaNominal).toMatchObject(alpha(units.nominal, 'nominal'));
		expect(figures.overall.alphaOrdinal).toMatchObject(alpha(units.ordinal, 'ordinal'));
		expect(figures.overall.rawAgreement.comparisons).toBe(11);
		expect(figures.overall.rawAgreement.value).toBeCloseTo(6 / 11, 10);
		expect(figures.byDomain.map((d) => [d.key, d.judgments])).toEqual([['chat', 13]]);
		expect(figures.byWeek.map((w) => w.judgments)).toEqual([2, 11]);
		expect(figures.byWeek[1]!.alphaNominal).toMatchObject(alpha(units.nominal.slice(0, 4), 'nominal'));
	});

	it('counts checks, the queue, the days and the crowd', async () => {
		const { figures } = (await latestSnapshot(database.db, personaId))!;
		expect(figures.checks).toEqual({ pairs: 1, answers: 2, correct: 1 });
		expect(figures.queue).toEqual({ pairs: 5, done: 3, leased: 0, open: 2 });
		expect(figures.perDay.map((d) => d.judgments)).toEqual([2, 13]);
		expect(figures.crowd).toEqual({ tieRate: 3 / 15, offRate: 2 / 15, medianMs: 4200 });
		// a/b votes outside checks: X 3 (left: P1, P3), Y 3 (left: P1, P4 with B on the left), Z 2 (left: P4)
		expect(figures.positionBias).toMatchObject({ abVotes: 8, leftPicks: 5, share: 5 / 8, flagged: false });
	});

	it('gives each annotator their leave-one-out agreement, checks, position and speed', async () => {
		expect(await rowOf(ids.X)).toMatchObject({
			votes: 6, sharedPairs: 3, agreements: 2, checkAnswers: 1, checkCorrect: 1, abVotes: 3, leftPicks: 2,
			fastVotes: 1, medianMs: 4200, tieRate: 1 / 6, offRate: 1 / 6, strengthModeShare: 1 / 3, flags: []
		});
		expect(await rowOf(ids.Y)).toMatchObject({
			votes: 5, sharedPairs: 2, agreements: 1, checkAnswers: 1, checkCorrect: 0, abVotes: 3, leftPicks: 2,
			fastVotes: 0, strengthModeShare: 2 / 3, offRate: 0
		});
		expect(await rowOf(ids.Z)).toMatchObject({ votes: 4, sharedPairs: 4, agreements: 2, checkAnswers: 0, checkAccuracy: null, abVotes: 2, leftPicks: 1 });
		expect((await rowOf(ids.X)).agreement).toBeCloseTo(2 / 3, 10);
	});

	it('finds the longest run of one answer in time order, as longestRun() does', async () => {
		// Y in time order: a, tie, b, b, b (the check last)
		expect((await rowOf(ids.Y)).longestRun).toBe(longestRun(['a', 'tie', 'b', 'b', 'b']));
		expect((await rowOf(ids.Y)).longestRun).toBe(3);
		expect((await rowOf(ids.Z)).longestRun).toBe(1);
	});

	it('stores a complete new snapshot when computed again, and keeps the recent ones', async () => {
		const again = await computeSnapshot(database.db, personaId);
		const stored = await database.db.select({ id: qualitySnapshot.id }).from(qualitySnapshot).where(eq(qualitySnapshot.personaId, personaId));
		expect(again).not.toBe(snapshotId);
		expect(stored.map((s) => s.id).sort()).toEqual([snapshotId, again].sort());
		expect(await database.db.$count(qualityAnnotator, eq(qualityAnnotator.snapshotId, again))).toBe(3);
	});
});
