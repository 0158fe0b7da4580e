import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import * as queue from '../../src/lib/server/queue';
import { ConflictError } from '../../src/lib/server/errors';
import { rowsOf } from '../../src/lib/server/db';
import { judgment, lease, pair } from '../../src/lib/server/db/schema';

let database: TestDatabase;
const settings = { leaseMinutes: 20 };

beforeAll(async () => {
	database = await createTestDatabase();
});
afterAll(async () => {
	await database.close();
});

function vote(p: queue.PairView | queue.Lease, preferred: queue.JudgmentInput['preferred'] = 'left', strength: number | null = 2) {
	return {
		clientId: crypto.randomUUID(),
		pairId: p.pairId,
		preferred,
		strength: preferred === 'left' || preferred === 'right' ? strength : null
	};
}

async function countsOf(pairId: string) {
	const [row] = await database.db.select().from(pair).where(eq(pair.id, pairId));
	return { judgments: row!.judgmentCount, leases: row!.leaseCount, overlap: row!.overlap };
}

describe('handing out pairs', () => {
	it('hands out higher priority first, then the oldest', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 10, overlap: 1, priorityEvery: 4 });
		const [me] = await createUsers(database.db, 1);
		const leases = await queue.holdPairs(database.db, me!.id, personaId, 10, 20);
		const rows = await database.db
			.select({ id: pair.id, priority: pair.priority, createdAt: pair.createdAt })
			.from(pair)
			.where(eq(pair.personaId, personaId));
		const expected = rows
			.sort((a, b) => b.priority - a.priority || a.createdAt.getTime() - b.createdAt.getTime())
			.map((r) => r.id);
		expect(leases.map((l) => l.pairId)).toEqual(expected);
		expect(rows.filter((r) => r.priority > 0)).toHaveLength(2);
	});

	it('gives the same pairs back on a reload, and never one pair twice to one annotator', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 5, overlap: 3 });
		const [me] = await createUsers(database.db, 1);
		const first = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		const again = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		expect(first).toHaveLength(2);
		expect(again.map((p) => [p.pairId, p.leftCandidateId])).toEqual(first.map((p) => [p.pairId, p.leftCandidateId]));
	});

	it('never hands one pair to more annotators than its overlap', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 2 });
		const annotators = await createUsers(database.db, 4);
		const handed = [];
		for (const a of annotators) handed.push(await queue.holdPairs(database.db, a.id, personaId, 1, 20));
		expect(handed.map((h) => h.length)).toEqual([1, 1, 0, 0]);
	});

	it('shows each side on the left about half the time, and records which', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 200, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		const leases = await queue.holdPairs(database.db, me!.id, personaId, 200, 20);
		const aLeft = rowsOf<{ n: number }>(
			await database.db.execute(sql`
				select count(*)::int as n from lease l join pair p on p.id = l.pair_id
				where l.annotator_id = ${me!.id} and l.left_candidate_id = p.candidate_a_id`)
		)[0]!.n;
		expect(leases).toHaveLength(200);
		expect(aLeft).toBeGreaterThan(60);
		expect(aLeft).toBeLessThan(140);
	});

	it('returns the pair of an expired lease to the queue', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		const [gone, next] = await createUsers(database.db, 2);
		const [abandoned] = await queue.holdPairs(database.db, gone!.id, personaId, 1, 20);
		expect(await queue.holdPairs(database.db, next!.id, personaId, 1, 20)).toEqual([]);
		await database.db.update(lease).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(lease.annotatorId, gone!.id));
		const [taken] = await queue.holdPairs(database.db, next!.id, personaId, 1, 20);
		expect(taken?.pairId).toBe(abandoned!.pairId);
		expect(await countsOf(abandoned!.pairId)).toEqual({ judgments: 0, leases: 1, overlap: 1 });
	});
});

describe('submitting judgments', () => {
	it('stores the choice in the pair’s terms, with the strength and the side shown on the left', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 2, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		const { result } = await queue.submitAndNext(database.db, me!.id, personaId, vote(p!, 'right', 3), settings);
		const [row] = await database.db.select().from(judgment).where(eq(judgment.id, result.judgmentId));
		const [target] = await database.db.select().from(pair).where(eq(pair.id, p!.pairId));
		const rightIsA = p!.right.candidateId === target!.candidateAId;
		expect(row).toMatchObject({ choice: rightIsA ? 'a' : 'b', strength: 3, leftCandidateId: p!.left.candidateId });
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 1, leases: 0, overlap: 1 });
	});

	it('records a retried submit once', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 2, overlap: 2 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		const input = vote(p!, 'tie');
		const first = await queue.submitJudgment(database.db, me!.id, input);
		const retry = await queue.submitJudgment(database.db, me!.id, input);
		expect(first.status).toBe('recorded');
		expect(retry).toEqual({ ...first, status: 'duplicate' });
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 1, leases: 0, overlap: 2 });
	});

	it('stores the same judgment submitted twice at once only once', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 2 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		const input = vote(p!, 'left', 4);
		const both = await Promise.all([queue.submitJudgment(database.db, me!.id, input), queue.submitJudgment(database.db, me!.id, input)]);
		expect(both.map((r) => r.status).sort()).toEqual(['duplicate', 'recorded']);
		expect(await database.db.select().from(judgment).where(eq(judgment.pairId, p!.pairId))).toHaveLength(1);
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 1, leases: 0, overlap: 2 });
	});

	it('refuses a second, different judgment of the same pair by the same annotator', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 2 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		await queue.submitJudgment(database.db, me!.id, vote(p!, 'left'));
		await expect(queue.submitJudgment(database.db, me!.id, vote(p!, 'right'))).rejects.toThrow(/already judged/);
	});

	it('counts a late judgment only if the pair still has room after the lease expired', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		const [slow, quick] = await createUsers(database.db, 2);
		const [p] = await queue.holdPairs(database.db, slow!.id, personaId, 1, 20);
		await database.db.update(lease).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(lease.annotatorId, slow!.id));
		const [q] = await queue.holdPairs(database.db, quick!.id, personaId, 1, 20);
		await queue.submitJudgment(database.db, quick!.id, vote(q!));
		await expect(queue.submitJudgment(database.db, slow!.id, vote(p!))).rejects.toBeInstanceOf(queue.LeaseLostError);
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 1, leases: 0, overlap: 1 });
	});

	it('skips a pair for good and frees its slot', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		const [me, other] = await createUsers(database.db, 2);
		const [p] = await queue.holdPairs(database.db, me!.id, personaId, 1, 20);
		await queue.skipPair(database.db, me!.id, p!.pairId);
		expect(await queue.holdPairs(database.db, me!.id, personaId, 1, 20)).toEqual([]);
		expect((await queue.holdPairs(database.db, other!.id, personaId, 1, 20))[0]?.pairId).toBe(p!.pairId);
	});

	it('undoes the last judgment within the window and hands the same pair back', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 3, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		const input = vote(p!, 'left', 1);
		await queue.submitJudgment(database.db, me!.id, input);
		const back = await queue.undoJudgment(database.db, me!.id, input.clientId, 60, 20);
		expect(back).toEqual({ pairId: p!.pairId, already: false });
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 0, leases: 1, overlap: 1 });
		const inHand = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		expect(inHand.find((x) => x.pairId === p!.pairId)?.leftCandidateId).toBe(p!.leftCandidateId);
	});

	it('answers a retried undo with success and changes nothing more', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 2, overlap: 2 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		const input = vote(p!, 'tie');
		await queue.submitJudgment(database.db, me!.id, input);
		await queue.undoJudgment(database.db, me!.id, input.clientId, 60, 20);
		const retry = await queue.undoJudgment(database.db, me!.id, input.clientId, 60, 20);
		expect(retry).toEqual({ pairId: p!.pairId, already: true });
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 0, leases: 1, overlap: 2 });
		// the undone judgment, sent late once more, is not recorded again
		await expect(queue.submitJudgment(database.db, me!.id, input)).rejects.toThrow(/undid this judgment/);
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 0, leases: 1, overlap: 2 });
	});

	it('refuses to undo someone else’s judgment, even one they undid', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 2 });
		const [owner, other] = await createUsers(database.db, 2);
		const [p] = await queue.pairsInHand(database.db, owner!.id, personaId, settings);
		const input = vote(p!, 'left', 2);
		await queue.submitJudgment(database.db, owner!.id, input);
		await expect(queue.undoJudgment(database.db, other!.id, input.clientId, 60, 20)).rejects.toThrow(/your own judgment/);
		await queue.undoJudgment(database.db, owner!.id, input.clientId, 60, 20);
		await expect(queue.undoJudgment(database.db, other!.id, input.clientId, 60, 20)).rejects.toThrow(/your own judgment/);
	});

	it('refuses to undo a judgment older than the window', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.pairsInHand(database.db, me!.id, personaId, settings);
		const input = vote(p!, 'both_off_persona');
		await queue.submitJudgment(database.db, me!.id, input);
		await database.db.update(judgment).set({ createdAt: new Date(Date.now() - 120_000) }).where(eq(judgment.clientId, input.clientId));
		await expect(queue.undoJudgment(database.db, me!.id, input.clientId, 60, 20)).rejects.toThrow(/last 60 seconds/);
	});
});

describe('which reply was on the left is the server’s record', () => {
	it('refuses a judgment on a pair never handed to the annotator, and counts nothing', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 3, overlap: 2 });
		const [me, other] = await createUsers(database.db, 2);
		const [theirs] = await queue.holdPairs(database.db, other!.id, personaId, 1, 20);
		await expect(queue.submitJudgment(database.db, me!.id, vote(theirs!))).rejects.toThrow(/never handed to you/);
		await expect(queue.submitJudgment(database.db, me!.id, vote(theirs!))).rejects.toBeInstanceOf(ConflictError);
		expect(await countsOf(theirs!.pairId)).toEqual({ judgments: 0, leases: 1, overlap: 2 });
	});

	it('refuses a judgment on a pair the annotator skipped', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 2 });
		const [me] = await createUsers(database.db, 1);
		const [p] = await queue.holdPairs(database.db, me!.id, personaId, 1, 20);
		await queue.skipPair(database.db, me!.id, p!.pairId);
		await expect(queue.submitJudgment(database.db, me!.id, vote(p!))).rejects.toThrow(/skipped this pair/);
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 0, leases: 0, overlap: 2 });
	});

	it('counts a judgment whose lease expired and was reclaimed while the pair has room, with the side it showed', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 2 });
		const [slow] = await createUsers(database.db, 1);
		const [p] = await queue.holdPairs(database.db, slow!.id, personaId, 1, 20);
		await database.db.update(lease).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(lease.annotatorId, slow!.id));
		expect(await queue.reclaimExpired(database.db)).toBeGreaterThanOrEqual(1);
		const { judgmentId } = await queue.submitJudgment(database.db, slow!.id, vote(p!, 'right', 2));
		const [row] = await database.db.select().from(judgment).where(eq(judgment.id, judgmentId));
		expect(row?.leftCandidateId).toBe(p!.leftCandidateId);
		expect(await countsOf(p!.pairId)).toEqual({ judgments: 1, leases: 0, overlap: 2 });
	});

	it('hands a reclaimed pair back to the same annotator on the same side', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 40, overlap: 1 });
		const [me] = await createUsers(database.db, 1);
		const before = await queue.holdPairs(database.db, me!.id, personaId, 40, 20);
		await database.db.update(lease).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(lease.annotatorId, me!.id));
		const after = await queue.holdPairs(database.db, me!.id, personaId, 40, 20);
		const sides = (leases: queue.Lease[]) => Object.fromEntries(leases.map((l) => [l.pairId, l.leftCandidateId]));
		expect(sides(after)).toEqual(sides(before));
	});
});

describe(`many annotators at once (${testDatabaseKind()})`, () => {
	it('20 concurrent annotators drain 500 pairs with N = 3: exactly 3 judgments each, from 3 different people', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 500, overlap: 3 });
		const annotators = await createUsers(database.db, 20);
		let submitted = 0;
		await Promise.all(
			annotators.map(async (a) => {
				// the production path: submit and next in one call, as the endpoint does
				let inHand: Array<queue.PairView | queue.Lease> = await queue.holdPairs(database.db, a.id, personaId, 2, 20);
				while (inHand.length > 0) {
					const [current] = inHand;
					const choices = ['left', 'right', 'tie', 'both_off_persona'] as const;
					inHand = (await queue.submitAndNext(database.db, a.id, personaId, vote(current!, choices[submitted % 4]), settings)).pairs;
					submitted++;
				}
			})
		);
		const perPair = rowsOf<{ judgments: number; people: number; counted: number; leases: number }>(
			await database.db.execute(sql`
				select count(j.id)::int as judgments, count(distinct j.annotator_id)::int as people,
					p.judgment_count as counted, p.lease_count as leases
				from pair p left join judgment j on j.pair_id = p.id
				where p.persona_id = ${personaId} group by p.id`)
		);
		expect(perPair).toHaveLength(500);
		expect(perPair.every((r) => r.judgments === 3 && r.people === 3 && r.counted === 3 && r.leases === 0)).toBe(true);
		expect(submitted).toBe(1500);
	});
});
