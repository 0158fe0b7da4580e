import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import * as queue from '../../src/lib/server/queue';
import * as checks from '../../src/lib/server/queue/checks';
import * as queueAdmin from '../../src/lib/server/queue/admin';
import { rowsOf } from '../../src/lib/server/db';
import { lease, pair } from '../../src/lib/server/db/schema';

let database: TestDatabase;
let admin: { id: string };

beforeAll(async () => {
	database = await createTestDatabase();
	[admin] = await createUsers(database.db, 1, { role: 'admin' });
});
afterAll(async () => {
	await database.close();
});

/** A persona whose first `checks` pairs (oldest) are marked as checks, expected answer a. */
async function personaWithChecks(options: { pairs: number; checks: number; overlap: number }) {
	const { personaId } = await createPersonaWithPairs(database.db, { pairs: options.pairs, overlap: options.overlap });
	const ids = (await database.db.select({ id: pair.id }).from(pair).where(eq(pair.personaId, personaId)).orderBy(pair.createdAt)).map((r) => r.id);
	const checkIds = ids.slice(0, options.checks);
	for (const id of checkIds) await checks.markCheck(database.db, id, 'a', { id: admin!.id });
	return { personaId, checkIds: new Set(checkIds) };
}

function vote(pairId: string) {
	return { clientId: crypto.randomUUID(), pairId, preferred: 'left' as const, strength: 2 };
}

describe('gold checks in the queue', () => {
	it('hands out checks at about one in checkEvery, never outside the rate', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 200, checks: 60, overlap: 4 });
		const annotators = await createUsers(database.db, 4);
		// Seeded on PGlite (one connection) so a failure reproduces; on PostgreSQL the pool's connections are not.
		if (testDatabaseKind() === 'pglite') await database.db.execute(sql`select setseed(0.42)`);
		let handed = 0;
		let checksHanded = 0;
		for (const a of annotators)
			for (let i = 0; i < 100; i++) {
				const [held] = await queue.holdPairs(database.db, a.id, personaId, 1, 20, 5);
				handed += 1;
				if (checkIds.has(held!.pairId)) checksHanded += 1;
				await queue.skipPair(database.db, a.id, held!.pairId);
			}
		// 400 draws at p = 1/5 (60 checks, so one is always left to draw): Binomial(400, 0.2), mean 80, sd 8.
		// ±4 sd, [48, 112], fails by chance with probability below 1e-4.
		expect(handed).toBe(400);
		expect(checksHanded).toBeGreaterThanOrEqual(48);
		expect(checksHanded).toBeLessThanOrEqual(112);
	});

	it('never hands a check when the rate is 0', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 30, checks: 10, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		const held = await queue.holdPairs(database.db, me!.id, personaId, 30, 20, 0);
		expect(held).toHaveLength(20);
		expect(held.filter((l) => checkIds.has(l.pairId))).toEqual([]);
	});

	it('hands no check once the regular queue is empty: checks never come above the rate', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 5, checks: 3, overlap: 1 });
		const [me, other] = await createUsers(database.db, 2);
		const taken = await queue.holdPairs(database.db, other!.id, personaId, 2, 20, 0);
		expect(taken.every((l) => !checkIds.has(l.pairId))).toBe(true);
		// rate 1: every slot draws a check, and still none comes
		expect(await queue.holdPairs(database.db, me!.id, personaId, 2, 20, 1)).toEqual([]);
	});

	it('hands a check to one annotator at most once, even after their lease expired', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 10, checks: 2, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		const seen: string[] = [];
		for (let i = 0; i < 8; i++) {
			const [held] = await queue.holdPairs(database.db, me!.id, personaId, 1, 20, 1);
			seen.push(held!.pairId);
			// abandoned: the lease expires and is reclaimed before the next hand-out
			await database.db.update(lease).set({ expiresAt: new Date(Date.now() - 60_000) }).where(eq(lease.annotatorId, me!.id));
		}
		const checksSeen = seen.filter((id) => checkIds.has(id));
		// every slot drew "check" (rate 1): both checks came first, once each, then regular pairs
		expect(checksSeen.sort()).toEqual([...checkIds].sort());
		expect(seen.slice(0, 2).every((id) => checkIds.has(id))).toBe(true);
	});

	it('hands a check to every annotator, whatever its overlap, and moves no counter', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 4, checks: 1, overlap: 1 });
		const [check] = [...checkIds];
		const annotators = await createUsers(database.db, 5);
		for (const a of annotators) {
			const [held] = await queue.holdPairs(database.db, a.id, personaId, 1, 20, 1);
			expect(held!.pairId).toBe(check);
			expect((await queue.submitJudgment(database.db, a.id, vote(check!))).status).toBe('recorded');
		}
		const [row] = await database.db.select().from(pair).where(eq(pair.id, check!));
		expect({ judgments: row!.judgmentCount, leases: row!.leaseCount }).toEqual({ judgments: 0, leases: 0 });
	});

	it('takes none of a regular pair\'s overlap: the regular pairs still go to exactly overlap annotators', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 6, checks: 2, overlap: 2 });
		const annotators = await createUsers(database.db, 4);
		for (const a of annotators)
			for (let held = await queue.holdPairs(database.db, a.id, personaId, 1, 20, 2); held.length; held = await queue.holdPairs(database.db, a.id, personaId, 1, 20, 2))
				await queue.submitJudgment(database.db, a.id, vote(held[0]!.pairId));
		const rows = rowsOf<{ id: string; n: number }>(
			await database.db.execute(sql`
				select p.id, count(j.id)::int as n from pair p left join judgment j on j.pair_id = p.id
				where p.persona_id = ${personaId} group by p.id`)
		);
		const regular = rows.filter((r) => !checkIds.has(r.id));
		expect(regular.map((r) => Number(r.n))).toEqual([2, 2, 2, 2]);
		expect((await queueAdmin.queueStats(database.db, personaId))).toMatchObject({ pairs: 4, checks: 2, open: 0, done: 4 });
	});

	it('leaves checks out of the annotator\'s "queue left"', async () => {
		const { personaId } = await personaWithChecks({ pairs: 7, checks: 3, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		expect((await queue.queueLeft(database.db, me!.id, personaId)).count).toBe(4);
	});

	it('gives a skipped or undone check the same treatment as a regular pair, without counters', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 3, checks: 1, overlap: 1 });
		const [check] = [...checkIds];
		const [me] = await createUsers(database.db, 1);
		const [held] = await queue.holdPairs(database.db, me!.id, personaId, 1, 20, 1);
		const judged = vote(held!.pairId);
		await queue.submitJudgment(database.db, me!.id, judged);
		const back = await queue.undoJudgment(database.db, me!.id, judged.clientId, 60, 20);
		expect(back.pairId).toBe(check);
		const [again] = await queue.holdPairs(database.db, me!.id, personaId, 1, 20, 1);
		expect(again!.pairId).toBe(check);
		await queue.skipPair(database.db, me!.id, check!);
		const [row] = await database.db.select().from(pair).where(eq(pair.id, check!));
		expect({ judgments: row!.judgmentCount, leases: row!.leaseCount }).toEqual({ judgments: 0, leases: 0 });
		const next = await queue.holdPairs(database.db, me!.id, personaId, 2, 20, 1);
		expect(next.map((l) => l.pairId)).not.toContain(check);
	});

	it('recounts a check\'s votes and leases when it becomes a regular pair again, growing its overlap to fit', async () => {
		const { personaId, checkIds } = await personaWithChecks({ pairs: 2, checks: 1, overlap: 1 });
		const [check] = [...checkIds];
		const annotators = await createUsers(database.db, 3);
		for (const a of annotators) await queue.holdPairs(database.db, a.id, personaId, 1, 20, 1);
		await queue.submitJudgment(database.db, annotators[0]!.id, vote(check!));
		await queue.submitJudgment(database.db, annotators[1]!.id, vote(check!));
		expect(await checks.unmarkCheck(database.db, check!, { id: admin!.id })).toEqual({ changed: true });
		expect(await checks.unmarkCheck(database.db, check!, { id: admin!.id })).toEqual({ changed: false });
		const [row] = await database.db.select().from(pair).where(inArray(pair.id, [check!]));
		expect(row).toMatchObject({ knownAnswer: null, judgmentCount: 2, leaseCount: 1, overlap: 3 });
		// the third annotator's lease now counts: their vote turns it into the pair's third judgment
		expect((await queue.submitJudgment(database.db, annotators[2]!.id, vote(check!))).status).toBe('recorded');
	});
});
