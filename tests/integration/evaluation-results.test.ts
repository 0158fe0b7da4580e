import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import { createModels, createRoundOf, repeat, votedPairs } from '../support/evaluation-votes';
import { headToHead, leaderboard, roundResults, verdictFor } from '../../src/lib/server/evaluation/results';
import { getRound } from '../../src/lib/server/evaluation/round-summary';
import { saveEvaluationSettings, defaultEvaluationSettings } from '../../src/lib/server/evaluation/settings';
import { wilson, wilsonOfShare } from '../../src/lib/server/quality/stats';
import { NotFoundError } from '../../src/lib/server/errors';

/*
 * A persona with four models: policy-v7 is current; policy-v8 beat it in
 * round 1 (72 wins, 16 ties or both-off-persona votes, 32 losses over two
 * domains), policy-v9 split 20–20 with it in an arena round, and policy-v6
 * lost 25–75 in round 3. Gold checks and pairs outside any round carry
 * votes too, all for policy-v7: they must never count.
 */
let database: TestDatabase;
let personaId: string;
let models: Record<string, string>;
let annotators: string[];
let firstRound: string;

beforeAll(async () => {
	database = await createTestDatabase();
	const db = database.db;
	({ personaId, models } = await createModels(db, ['policy-v7', 'policy-v8', 'policy-v9', 'policy-v6']));
	annotators = (await createUsers(db, 3)).map((user) => user.id);
	const v7 = models['policy-v7']!;
	const pairsOf = (roundId: string | null, first: string, domain: string, choices: ReturnType<typeof repeat>, knownAnswer?: 'a' | 'b') =>
		votedPairs(db, { personaId, roundId, first, second: v7, domain, choices, annotatorIds: annotators.slice(0, 1), knownAnswer });

	firstRound = await createRoundOf(db, personaId, { candidateId: models['policy-v8']!, baselineId: v7, modelIds: [models['policy-v8']!, v7] });
	await pairsOf(firstRound, models['policy-v8']!, 'chat', repeat(['a', 42], ['tie', 3], ['both_off_persona', 3], ['b', 12]));
	await pairsOf(firstRound, models['policy-v8']!, 'code', repeat(['a', 30], ['tie', 5], ['both_off_persona', 5], ['b', 20]));
	await pairsOf(firstRound, models['policy-v8']!, 'chat', repeat(['b', 30]), 'b');
	await pairsOf(null, models['policy-v8']!, 'chat', repeat(['b', 30]));

	const arena = await createRoundOf(db, personaId, { candidateId: models['policy-v9']!, baselineId: v7, modelIds: [models['policy-v9']!, v7], source: 'arena' });
	await pairsOf(arena, models['policy-v9']!, 'chat', repeat(['a', 20], ['b', 20]));

	const third = await createRoundOf(db, personaId, { candidateId: models['policy-v6']!, baselineId: v7, modelIds: [models['policy-v6']!, v7] });
	await pairsOf(third, models['policy-v6']!, 'code', repeat(['a', 25], ['b', 75]));
}, 120_000);
afterAll(async () => {
	await database.close();
});

describe('roundResults', () => {
	it('tallies each pair of models from the candidate’s side, reading a / b through the pair’s candidates', async () => {
		const results = await roundResults(database.db, await getRound(database.db, firstRound));
		expect(results.headToHead).toHaveLength(1);
		const [record] = results.headToHead;
		expect(record).toMatchObject({ a: { name: 'policy-v8' }, b: { name: 'policy-v7' }, wins: 72, ties: 16, losses: 32, votes: 120 });
		expect(record!.winRate).toBeCloseTo(80 / 120, 12);
		// One vote per pair: Wilson's interval on the votes.
		expect(record!.low).toBeCloseTo(wilsonOfShare(80 / 120, 120).low, 12);
	});

	it('tallies per prompt domain too', async () => {
		const results = await roundResults(database.db, await getRound(database.db, firstRound));
		expect(results.byDomain.map((d) => d.domain)).toEqual(['chat', 'code']);
		expect(results.byDomain[0]!.headToHead[0]).toMatchObject({ wins: 42, ties: 6, losses: 12, votes: 60, winRate: 0.75 });
		expect(results.byDomain[1]!.headToHead[0]).toMatchObject({ wins: 30, ties: 10, losses: 20, votes: 60 });
	});
});

describe('headToHead', () => {
	it('pools every round, from the side asked for, and never counts gold checks or pairs outside a round', async () => {
		const record = await headToHead(database.db, models['policy-v7']!, models['policy-v8']!);
		expect(record).toMatchObject({ a: { name: 'policy-v7' }, b: { name: 'policy-v8' }, wins: 32, ties: 16, losses: 72, votes: 120 });
	});

	it('is empty, not an error, for two models without votes between them', async () => {
		const record = await headToHead(database.db, models['policy-v8']!, models['policy-v9']!);
		expect(record).toMatchObject({ votes: 0, winRate: null, low: null, high: null });
	});

	it('answers "not found" for a model that does not exist', async () => {
		await expect(headToHead(database.db, models['policy-v8']!, crypto.randomUUID())).rejects.toThrow(NotFoundError);
		await expect(headToHead(database.db, 'not-a-uuid', models['policy-v8']!)).rejects.toThrow(NotFoundError);
	});
});

describe('leaderboard', () => {
	it('rates every model with evaluation votes, arena included, best first, on a scale whose mean is 1000', async () => {
		const board = await leaderboard(database.db, personaId);
		expect(board.votes).toBe(120 + 40 + 100);
		expect(board.replicates).toBe(1000);
		expect(board.groups).toBe(1);
		expect(board.ratings.map((r) => r.name)).toEqual(['policy-v8', expect.any(String), expect.any(String), 'policy-v6']);
		expect(board.ratings.reduce((sum, r) => sum + r.rating, 0) / 4).toBeCloseTo(1000, 6);
		expect(Object.fromEntries(board.ratings.map((r) => [r.name, r.votes]))).toEqual({ 'policy-v7': 260, 'policy-v8': 120, 'policy-v9': 40, 'policy-v6': 100 });
		for (const r of board.ratings) expect(r.low <= r.rating && r.rating <= r.high).toBe(true);
		expect(board.ratings[0]!.rank).toBe(1);
		expect(board.ratings.at(-1)!.rank).toBeGreaterThan(1);
	});

	it('lists each pair of models with votes once, from the better-rated side', async () => {
		const board = await leaderboard(database.db, personaId);
		expect(board.matrix).toHaveLength(3);
		const rank = new Map(board.ratings.map((r, i) => [r.id, i]));
		for (const cell of board.matrix) expect(rank.get(cell.a.id)!).toBeLessThan(rank.get(cell.b.id)!);
		expect(board.matrix.find((cell) => cell.a.name === 'policy-v7' && cell.b.name === 'policy-v6')).toMatchObject({ wins: 75, losses: 25 });
	});

	it('gives the same ratings and intervals when asked again', async () => {
		expect(await leaderboard(database.db, personaId)).toEqual(await leaderboard(database.db, personaId));
	});

	it('is empty for a persona without evaluation votes', async () => {
		const { personaId: quiet } = await createModels(database.db, ['quiet-v1']);
		expect(await leaderboard(database.db, quiet)).toMatchObject({ ratings: [], matrix: [], votes: 0, groups: 0 });
	});
});

describe('verdictFor', () => {
	it('is "better" when the interval against the current model lies above 50 %', async () => {
		const verdict = await verdictFor(database.db, models['policy-v8']!);
		expect(verdict).toMatchObject({ outcome: 'better', candidate: { name: 'policy-v8' }, baseline: { name: 'policy-v7' }, minVotes: 100 });
		expect(verdict.record).toMatchObject({ votes: 120, wins: 72 });
	});

	it('is "worse" when it lies below 50 %', async () => {
		const verdict = await verdictFor(database.db, models['policy-v6']!);
		expect(verdict.outcome).toBe('worse');
		expect(verdict.record!.high).toBeCloseTo(wilson(25, 100).high!, 12);
	});

	it('is not yet known with too few votes, saying how many are in', async () => {
		const verdict = await verdictFor(database.db, models['policy-v9']!);
		expect(verdict).toMatchObject({ outcome: 'not_yet_known', reason: expect.stringContaining('40 of 100 votes so far') });
	});

	it('is not yet known when enough votes leave 50 % inside the interval', async () => {
		const verdict = await verdictFor(database.db, models['policy-v9']!, { minVotes: 30 });
		expect(verdict).toMatchObject({ outcome: 'not_yet_known', minVotes: 30, reason: expect.stringContaining('includes 50 %') });
	});

	it('takes the minimum from the persona’s evaluation settings', async () => {
		await saveEvaluationSettings(database.db, personaId, { ...defaultEvaluationSettings(), minVotes: 150 });
		try {
			const verdict = await verdictFor(database.db, models['policy-v8']!);
			expect(verdict).toMatchObject({ outcome: 'not_yet_known', minVotes: 150, reason: expect.stringContaining('120 of 150') });
		} finally {
			await saveEvaluationSettings(database.db, personaId, defaultEvaluationSettings());
		}
	});

	it('measures a model already current against the baseline of its newest round', async () => {
		const { personaId: other, models: own } = await createModels(database.db, ['lynn-v2', 'lynn-v1']);
		const both = [own['lynn-v2']!, own['lynn-v1']!];
		const round = await createRoundOf(database.db, other, { candidateId: own['lynn-v2']!, baselineId: own['lynn-v1']!, modelIds: both });
		await votedPairs(database.db, { personaId: other, roundId: round, first: own['lynn-v2']!, second: own['lynn-v1']!, domain: 'chat', choices: repeat(['a', 30], ['b', 10]), annotatorIds: annotators.slice(0, 1) });
		// A newer round without a baseline (an admin's round of several models) does not hide the older one's.
		await createRoundOf(database.db, other, { candidateId: own['lynn-v2']!, baselineId: null, modelIds: both });
		const verdict = await verdictFor(database.db, own['lynn-v2']!, { minVotes: 20 });
		expect(verdict).toMatchObject({ outcome: 'better', candidate: { name: 'lynn-v2', status: 'current' }, baseline: { name: 'lynn-v1' } });
	});

	it('is not yet known, with no baseline, when there is nothing to measure against', async () => {
		const { models: alone } = await createModels(database.db, ['solo-v1']);
		const verdict = await verdictFor(database.db, alone['solo-v1']!);
		expect(verdict).toMatchObject({ outcome: 'not_yet_known', baseline: null, record: null, reason: expect.stringContaining('no model to measure solo-v1 against') });
	});

	it('answers "not found" for a model that does not exist', async () => {
		await expect(verdictFor(database.db, crypto.randomUUID())).rejects.toThrow(NotFoundError);
		await expect(verdictFor(database.db, 'policy-v8')).rejects.toThrow(NotFoundError);
	});
});

describe('votes on one pair', () => {
	it('count as one look when every annotator on every pair agrees: 10 pairs at overlap 3 weigh as 10 votes, not 30', async () => {
		const { personaId: other, models: own } = await createModels(database.db, ['clear-v1', 'clear-v2']);
		const round = await createRoundOf(database.db, other, { candidateId: own['clear-v2']!, baselineId: own['clear-v1']!, modelIds: Object.values(own) });
		await votedPairs(database.db, { personaId: other, roundId: round, first: own['clear-v2']!, second: own['clear-v1']!, domain: 'chat', choices: repeat(['a', 10]), annotatorIds: annotators });
		const record = await headToHead(database.db, own['clear-v2']!, own['clear-v1']!);
		expect(record).toMatchObject({ wins: 30, votes: 30, winRate: 1, high: 1 });
		expect(record.low).toBeCloseTo(wilson(10, 10).low!, 12);
		expect((await verdictFor(database.db, own['clear-v2']!, { minVotes: 30 })).outcome).toBe('better');
	});
});
