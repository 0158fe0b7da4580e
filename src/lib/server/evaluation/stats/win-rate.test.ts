import { describe, expect, it } from 'vitest';
import { wilson } from '../../quality/stats';
import { seededRandom } from '../../quality/stats/testing';
import { reverseTally, tallyPairs, winRate, type PairVotes } from './win-rate';
import { syntheticPairs } from './testing';

const rateOf = (pairs: PairVotes[]) => winRate(tallyPairs(pairs));
const single = (wins: number, losses: number): PairVotes[] => [
	...Array.from({ length: wins }, () => ({ wins: 1, ties: 0, losses: 0 })),
	...Array.from({ length: losses }, () => ({ wins: 0, ties: 0, losses: 1 }))
];

/** The share of `seeds` synthetic rounds whose interval contains `truth`. */
function coverage(
	truth: number,
	options: { pairs: number; overlap: number; clustered: number },
	interval: (pairs: PairVotes[]) => { low: number | null; high: number | null } = rateOf
): number {
	let covered = 0;
	for (let seed = 1; seed <= 400; seed++) {
		const { low, high } = interval(syntheticPairs(seededRandom(seed), options.pairs, { ...options, winRate: truth }));
		if (low! <= truth && truth <= high!) covered++;
	}
	return covered / 400;
}

/** Wilson's interval on the votes as if they were independent: what the clustered interval corrects. */
const naive = (pairs: PairVotes[]) => {
	const t = tallyPairs(pairs);
	return wilson(t.wins, t.wins + t.losses);
};

describe('winRate', () => {
	it('is Wilson’s interval on the votes when every pair has one vote', () => {
		const { winRate: rate, low, high } = rateOf(single(70, 30));
		expect(rate).toBe(0.7);
		expect(low).toBeCloseTo(wilson(70, 100).low!, 12);
		expect(high).toBeCloseTo(wilson(70, 100).high!, 12);
	});

	it('counts a tie as half a win', () => {
		expect(rateOf([{ wins: 2, ties: 1, losses: 1 }]).winRate).toBe(0.625);
		expect(rateOf([{ wins: 0, ties: 4, losses: 0 }, { wins: 0, ties: 3, losses: 0 }]).winRate).toBe(0.5);
	});

	it('is null with no votes', () => {
		expect(winRate(tallyPairs([]))).toEqual({ winRate: null, low: null, high: null, effectiveVotes: 0 });
	});

	it('counts three identical votes on one pair as one vote when it cannot tell them from copies', () => {
		// Ten pairs, every vote for the candidate: no spread to estimate, so each pair counts once.
		const unanimous = rateOf(Array.from({ length: 10 }, () => ({ wins: 3, ties: 0, losses: 0 })));
		expect(unanimous.effectiveVotes).toBe(10);
		expect(unanimous.low).toBeCloseTo(wilson(10, 10).low!, 12);
	});

	it('after 300 pairs at overlap 3 where annotators prefer the candidate 70 % of the time, contains 0.7 and excludes 0.5', () => {
		const at70 = rateOf(syntheticPairs(seededRandom(70), 300, { overlap: 3, winRate: 0.7, clustered: 0.5 }));
		expect(at70.low).toBeGreaterThan(0.5);
		expect(at70.low! <= 0.7 && 0.7 <= at70.high!).toBe(true);
		const at50 = rateOf(syntheticPairs(seededRandom(50), 300, { overlap: 3, winRate: 0.5, clustered: 0.5 }));
		expect(at50.low! <= 0.5 && 0.5 <= at50.high!).toBe(true);
	});

	it.each([
		{ truth: 0.7, clustered: 0.5 },
		{ truth: 0.5, clustered: 0.5 },
		{ truth: 0.7, clustered: 0 },
		{ truth: 0.5, clustered: 0 }
	])('covers a true rate of $truth in about 95 of 100 rounds of 150 pairs at overlap 3 (share of clear-cut pairs $clustered)', ({ truth, clustered }) => {
		const observed = coverage(truth, { pairs: 150, overlap: 3, clustered });
		console.info(`win rate ${truth}, clustered share ${clustered}: the interval covered it in ${(observed * 100).toFixed(1)} % of 400 rounds`);
		expect(observed).toBeGreaterThanOrEqual(0.92);
		expect(observed).toBeLessThanOrEqual(0.99);
	});

	it('is needed: Wilson on clustered votes as if independent covers the truth far less often', () => {
		const observed = coverage(0.7, { pairs: 150, overlap: 3, clustered: 0.5 }, naive);
		console.info(`Wilson on the votes as if independent covered 0.7 in ${(observed * 100).toFixed(1)} % of 400 rounds`);
		expect(observed).toBeLessThan(0.88);
	});

	it('reads the same votes from the other side as one minus the rate, with the interval mirrored', () => {
		const tally = tallyPairs(syntheticPairs(seededRandom(4), 80, { overlap: 3, winRate: 0.6, clustered: 0.3 }));
		const mirrored = tallyPairs(syntheticPairs(seededRandom(4), 80, { overlap: 3, winRate: 0.6, clustered: 0.3 }).map((p) => ({ wins: p.losses, ties: p.ties, losses: p.wins })));
		expect(reverseTally(tally)).toEqual(mirrored);
		const forward = winRate(tally);
		const backward = winRate(reverseTally(tally));
		expect(backward.winRate).toBeCloseTo(1 - forward.winRate!, 12);
		expect(backward.low).toBeCloseTo(1 - forward.high!, 12);
	});

	it('refuses counts that are not whole numbers, naming the field', () => {
		expect(() => winRate({ ...tallyPairs(single(1, 1)), ties: 0.5 })).toThrow(/ties/);
		expect(() => winRate({ ...tallyPairs([]), wins: 3 })).toThrow(/pair/);
	});
});
