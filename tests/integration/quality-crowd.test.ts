import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/lib/server/db';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { annotate, lengthenReplies, type Behaviour } from '../support/synthetic-annotators';
import { seededRandom } from '../support/random';
import { pair, persona, qualityAnnotator, type Choice } from '../../src/lib/server/db/schema';
import { computeSnapshot } from '../../src/lib/server/quality/compute';
import { latestSnapshot } from '../../src/lib/server/quality/snapshots';
import { wilson } from '../../src/lib/server/quality/stats';

/*
 * Six synthetic annotators work through the real queue (hand-out and submit,
 * checks mixed in at the persona's rate): one always picks the left reply,
 * one answers at random, one answers in 0.5 s although reading both replies
 * takes 15 s, and three careful ones give a hidden truth 85 % of the time.
 * PostgreSQL's random() (left sides, check draws) is seeded like the crowd's
 * answers, so the specification runs the same way every time.
 */
let database: TestDatabase;
let session: Database;
let personaId: string;
const crowd: Array<{ id: string; behaviour: Behaviour }> = [];
const CHECKS = 100;

/** One connection, so `setseed` governs every random() the queue draws. */
async function singleSession(): Promise<Database> {
	if (testDatabaseKind() === 'pglite') return { ...database, close: async () => {} };
	const url = new URL(process.env.TEST_DATABASE_URL!);
	url.pathname = `/${database.name}`;
	return openDatabase({ kind: 'postgres', url: url.toString() }, { poolSize: 1 });
}

beforeAll(async () => {
	database = await createTestDatabase();
	session = await singleSession();
	({ personaId } = await createPersonaWithPairs(database.db, { pairs: 800, overlap: 3 }));
	await lengthenReplies(database.db, personaId, 150);
	await database.db.update(persona).set({ qualitySettings: { checkEvery: 5 } }).where(eq(persona.id, personaId));
	const pairs = await database.db.select({ id: pair.id }).from(pair).where(eq(pair.personaId, personaId)).orderBy(asc(pair.createdAt));
	const random = seededRandom(7);
	const truth = new Map<string, Choice>();
	pairs.forEach(({ id }, i) => {
		const roll = random();
		truth.set(id, i < CHECKS ? (roll < 0.5 ? 'a' : 'b') : roll < 0.4 ? 'a' : roll < 0.8 ? 'b' : roll < 0.9 ? 'tie' : 'both_off_persona');
	});
	for (const { id } of pairs.slice(0, CHECKS)) await database.db.update(pair).set({ knownAnswer: truth.get(id)! }).where(eq(pair.id, id));
	const users = await createUsers(database.db, 6);
	(['left', 'random', 'fast', 'careful', 'careful', 'careful'] as const).forEach((behaviour, i) => crowd.push({ id: users[i]!.id, behaviour }));
	await session.db.execute(sql`select setseed(0.2026)`);
	await annotate(session.db, personaId, crowd, { rounds: 250, checkEvery: 5, truthOf: (id) => truth.get(id)!, seed: 12 });
	await computeSnapshot(database.db, personaId);
}, 300_000);
afterAll(async () => {
	await session?.close();
	await database.close();
});

async function figuresOf(behaviour: Behaviour) {
	const snapshot = await latestSnapshot(database.db, personaId);
	const rows = await database.db.select().from(qualityAnnotator).where(eq(qualityAnnotator.snapshotId, snapshot!.id));
	return crowd.filter((a) => a.behaviour === behaviour).map((a) => rows.find((r) => r.annotatorId === a.id)!);
}

describe('synthetic annotators through the real queue', () => {
	it('flags the one who always picks the left reply for position bias', async () => {
		const [left] = await figuresOf('left');
		expect(left!.leftShare).toBe(1);
		expect(left!.flags).toContain('position_bias');
	});

	it('flags the one who answers at random for agreement and check accuracy', async () => {
		const [random] = await figuresOf('random');
		expect(random!.flags).toEqual(expect.arrayContaining(['low_agreement', 'low_check_accuracy']));
	});

	it('flags the one who answers in half a second as too fast, and only that', async () => {
		const [fast] = await figuresOf('fast');
		expect(fast!.fastVotes).toBe(fast!.votes);
		expect(fast!.flags).toEqual(['too_fast']);
	});

	it('flags none of the careful ones', async () => {
		const careful = await figuresOf('careful');
		expect(careful.map((c) => c.flags)).toEqual([[], [], []]);
		for (const c of careful) expect(c.agreement).toBeGreaterThan(0.6);
	});

	it('reports check accuracy and left-pick share whose intervals contain the true rates', async () => {
		// True rates: the truth 85 % of the time; a random answer is right 1 in 4; a check's answer (a or b) is
		// on the left half the time. The side shown on the left is a coin flip, so every share but the
		// left-picker's (1) is 0.5. Twelve 95 % intervals would miss one of the true rates 46 % of the time, so
		// the family is held to 95 % jointly (Bonferroni: each at 1 − 0.05/12); the stored interval is the 95 % one.
		const trueAccuracy: Record<Behaviour, number> = { careful: 0.85, fast: 0.85, random: 0.25, left: 0.5 };
		const level = 1 - 0.05 / 12;
		for (const behaviour of ['left', 'random', 'fast', 'careful'] as const) {
			for (const row of await figuresOf(behaviour)) {
				expect(row.checkAnswers, behaviour).toBeGreaterThanOrEqual(30);
				expect([row.checkLow, row.checkHigh]).toEqual([wilson(row.checkCorrect, row.checkAnswers).low, wilson(row.checkCorrect, row.checkAnswers).high]);
				const check = wilson(row.checkCorrect, row.checkAnswers, level);
				expect(check.low!, behaviour).toBeLessThanOrEqual(trueAccuracy[behaviour]);
				expect(check.high!, behaviour).toBeGreaterThanOrEqual(trueAccuracy[behaviour]);
				const left = wilson(row.leftPicks, row.abVotes, level);
				const trueShare = behaviour === 'left' ? 1 : 0.5;
				expect(left.low!, behaviour).toBeLessThanOrEqual(trueShare);
				expect(left.high!, behaviour).toBeGreaterThanOrEqual(trueShare);
			}
		}
	});

	it('shows the left-picker in the crowd’s position bias, and a crowd that agrees well above chance', async () => {
		const { figures } = (await latestSnapshot(database.db, personaId))!;
		expect(figures.positionBias.share!).toBeGreaterThan(0.55);
		expect(figures.positionBias.flagged).toBe(true);
		expect(figures.overall.alphaNominal.value!).toBeGreaterThan(0.2);
		const everyone = (await Promise.all((['left', 'random', 'fast', 'careful'] as const).map(figuresOf))).flat();
		expect(figures.checks.answers).toBe(everyone.reduce((sum, row) => sum + row.checkAnswers, 0));
	});
});
