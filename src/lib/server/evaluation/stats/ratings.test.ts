import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../quality/stats/testing';
import { rateModels, type PairGroup } from './ratings';
import { clusteredTournament, oneVotePerPair, syntheticTournament, type MatchupVotes } from './testing';

/** True ratings of log-strengths: 1000 + 400 · (β − mean β) / ln 10. */
function trueRatings(strengths: readonly number[]): number[] {
	const mean = strengths.reduce((sum, b) => sum + b, 0) / strengths.length;
	return strengths.map((b) => 1000 + (400 * (b - mean)) / Math.LN10);
}

const STRENGTHS = [0.6, -0.8, 0.2, 0, -0.4];

/** The share of the true ratings inside their 95 % intervals, over seeded tournaments of 5 models. */
function coverage(tournament: (random: () => number) => PairGroup[], tournaments = 200): number {
	const truth = trueRatings(STRENGTHS);
	let covered = 0;
	for (let seed = 1; seed <= tournaments; seed++) {
		const rated = rateModels(STRENGTHS.length, tournament(seededRandom(seed)), { seed });
		rated.forEach((model, i) => {
			if (model.low <= truth[i]! && truth[i]! <= model.high) covered++;
		});
	}
	return covered / (tournaments * STRENGTHS.length);
}

describe('rateModels', () => {
	it('covers the true ratings with its 95 % intervals about 95 % of the time, over 200 tournaments', () => {
		const rate = coverage((random) => oneVotePerPair(syntheticTournament(random, STRENGTHS, 1500)));
		console.info(`Bradley–Terry 95 % intervals, one vote per pair: ${(rate * 100).toFixed(1)} % of 1,000 true ratings covered`);
		expect(rate).toBeGreaterThanOrEqual(0.9);
		expect(rate).toBeLessThanOrEqual(0.99);
	}, 300_000);

	it('still covers them at overlap 3 when votes on a pair agree (100 tournaments), by resampling pairs rather than votes', () => {
		const tournament = (random: () => number) => clusteredTournament(random, STRENGTHS, { pairs: 500, overlap: 3, clustered: 0.5 });
		const rate = coverage(tournament, 100);
		// The same votes resampled one by one, as if 1,500 independent looks: the intervals come out too narrow.
		const asVotes = coverage((random) => tournament(random).flatMap((g) => oneVotePerPair([{ ...g, wins: g.wins * g.pairs, ties: g.ties * g.pairs, losses: g.losses * g.pairs }])), 100);
		console.info(`Bradley–Terry 95 % intervals at overlap 3: ${(rate * 100).toFixed(1)} % covered resampling pairs, ${(asVotes * 100).toFixed(1)} % resampling votes`);
		expect(rate).toBeGreaterThanOrEqual(0.9);
		expect(rate).toBeLessThanOrEqual(0.99);
		expect(asVotes).toBeLessThan(rate - 0.05);
	}, 300_000);

	it('anchors the mean rating at 1000 and counts each model’s votes', () => {
		const rated = rateModels(3, oneVotePerPair(syntheticTournament(seededRandom(3), [1, 0, -1], 600)));
		expect(rated.reduce((sum, m) => sum + m.rating, 0) / 3).toBeCloseTo(1000, 9);
		expect(rated.reduce((sum, m) => sum + m.votes, 0)).toBe(2 * 600);
		for (const m of rated) {
			expect(m.low).toBeLessThan(m.rating);
			expect(m.high).toBeGreaterThan(m.rating);
		}
	});

	it('gives the same intervals for the same votes and seed, and others for another seed', () => {
		const votes = oneVotePerPair(syntheticTournament(seededRandom(8), [0.5, 0, -0.5], 400));
		expect(rateModels(3, votes, { seed: 42 })).toEqual(rateModels(3, votes, { seed: 42 }));
		expect(rateModels(3, votes, { seed: 43 })[0]!.low).not.toBe(rateModels(3, votes, { seed: 42 })[0]!.low);
	});

	it('ranks like Chatbot Arena: 1 + the models whose interval lies wholly above', () => {
		// A clearly first; B and C too close to tell apart; D clearly below both.
		const matchups: MatchupVotes[] = [
			{ first: 0, second: 1, wins: 400, ties: 0, losses: 100 },
			{ first: 0, second: 2, wins: 400, ties: 0, losses: 100 },
			{ first: 1, second: 2, wins: 251, ties: 0, losses: 249 },
			{ first: 1, second: 3, wins: 400, ties: 0, losses: 100 },
			{ first: 2, second: 3, wins: 400, ties: 0, losses: 100 }
		];
		expect(rateModels(4, oneVotePerPair(matchups)).map((m) => m.rank)).toEqual([1, 2, 2, 4]);
	});

	it('numbers the groups of a comparison graph in parts, so a page can say which ratings compare', () => {
		const rated = rateModels(
			4,
			oneVotePerPair([
				{ first: 0, second: 1, wins: 30, ties: 0, losses: 10 },
				{ first: 2, second: 3, wins: 5, ties: 5, losses: 5 }
			])
		);
		expect(rated.map((m) => m.group)).toEqual([0, 0, 1, 1]);
		rated.forEach((m) => expect(Number.isFinite(m.low) && Number.isFinite(m.high)).toBe(true));
	});

	it('rates nothing when there are no models', () => {
		expect(rateModels(0, [])).toEqual([]);
	});
});
