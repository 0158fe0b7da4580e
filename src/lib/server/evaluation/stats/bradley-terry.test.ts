import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../quality/stats/testing';
import { fitStrengths, PRIOR_TIES, type Matchup } from './bradley-terry';
import { toRatings } from './ratings';
import { syntheticTournament } from './testing';

const counts = (matchups: Array<Matchup & { wins: number; ties: number; losses: number }>) => Float64Array.from(matchups.flatMap((m) => [m.wins, m.ties, m.losses]));

/** Fitted ratings (mean 1000) of the models in `matchups`. */
function ratingsOf(models: number, matchups: Array<Matchup & { wins: number; ties: number; losses: number }>): number[] {
	const fit = fitStrengths(models, matchups, counts(matchups));
	expect(fit.converged).toBe(true);
	return Array.from(toRatings(fit.strengths));
}

describe('fitStrengths (Bradley–Terry with ties)', () => {
	it('recovers the order of five models of known strength from a synthetic tournament', () => {
		const strengths = [0.5, -1, 1, 0, -0.5];
		const matchups = syntheticTournament(seededRandom(5), strengths, 3000);
		const ratings = ratingsOf(5, matchups);
		const byRating = [0, 1, 2, 3, 4].sort((x, y) => ratings[y]! - ratings[x]!);
		expect(byRating).toEqual([2, 0, 3, 4, 1]);
		// The true ratings are 1000 + 400 · β / ln 10 (β's mean is 0): ±87 points a step.
		strengths.forEach((beta, i) => expect(Math.abs(ratings[i]! - (1000 + (400 * beta) / Math.LN10))).toBeLessThan(30));
	});

	it('puts 400 · log10(3) ≈ 190.8 points between a model that wins three votes in four and its opponent', () => {
		const [winner, loser] = ratingsOf(2, [{ first: 0, second: 1, wins: 3000, ties: 0, losses: 1000 }]);
		expect(winner! - loser!).toBeCloseTo(400 * Math.log10(3), 0);
		expect((winner! + loser!) / 2).toBeCloseTo(1000, 9);
	});

	it('pulls few votes towards the reference by one virtual tie per model, and leaves many alone', () => {
		const gap = (wins: number, losses: number) => {
			const [x, y] = ratingsOf(2, [{ first: 0, second: 1, wins, ties: 0, losses }]);
			return x! - y!;
		};
		expect(gap(30, 10)).toBeLessThan(gap(3000, 1000));
		expect(gap(30, 10)).toBeGreaterThan(0.9 * gap(3000, 1000));
	});

	it('solves the likelihood equations: each model is expected to score what it won, its virtual tie included', () => {
		const matchups = syntheticTournament(seededRandom(11), [0.3, -0.2, 0.8, -0.9], 800, 0.2);
		const { strengths } = fitStrengths(4, matchups, counts(matchups));
		const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
		const won = strengths.map(() => PRIOR_TIES / 2);
		const expected = Array.from(strengths, (b) => PRIOR_TIES * sigmoid(b));
		for (const m of matchups) {
			const votes = m.wins + m.ties + m.losses;
			const p = sigmoid(strengths[m.first]! - strengths[m.second]!);
			won[m.first]! += m.wins + m.ties / 2;
			won[m.second]! += m.losses + m.ties / 2;
			expected[m.first]! += votes * p;
			expected[m.second]! += votes * (1 - p);
		}
		won.forEach((score, i) => expect(expected[i]).toBeCloseTo(score, 8));
	});

	it('counts a tie as half a win for each side: 10 wins and 10 ties rate as 15 wins and 5 losses', () => {
		expect(ratingsOf(2, [{ first: 0, second: 1, wins: 10, ties: 10, losses: 0 }])).toEqual(
			ratingsOf(2, [{ first: 0, second: 1, wins: 15, ties: 0, losses: 5 }]).map((r) => expect.closeTo(r, 9))
		);
	});

	it('pulls two models together as ties between them are added', () => {
		const gaps = [0, 50, 200, 1000].map((ties) => {
			const [x, y] = ratingsOf(2, [{ first: 0, second: 1, wins: 60, ties, losses: 20 }]);
			return x! - y!;
		});
		for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeLessThan(gaps[i - 1]!);
		expect(gaps.at(-1)).toBeGreaterThan(0);
	});

	it('rates every model 1000 when every vote is a tie', () => {
		const ratings = ratingsOf(3, [
			{ first: 0, second: 1, wins: 0, ties: 40, losses: 0 },
			{ first: 1, second: 2, wins: 0, ties: 7, losses: 0 }
		]);
		ratings.forEach((rating) => expect(rating).toBeCloseTo(1000, 9));
	});

	it('stays finite when a model never lost, and when the models form two groups that never met', () => {
		const unbeaten = ratingsOf(3, [
			{ first: 0, second: 1, wins: 50, ties: 0, losses: 0 },
			{ first: 0, second: 2, wins: 50, ties: 0, losses: 0 },
			{ first: 1, second: 2, wins: 25, ties: 0, losses: 25 }
		]);
		unbeaten.forEach((rating) => expect(Number.isFinite(rating)).toBe(true));
		expect(unbeaten[0]! - unbeaten[1]!).toBeGreaterThan(400);
		const parts = ratingsOf(4, [
			{ first: 0, second: 1, wins: 30, ties: 0, losses: 10 },
			{ first: 2, second: 3, wins: 10, ties: 0, losses: 30 }
		]);
		// Each part centres on the reference: the winners mirror each other.
		expect(parts[0]).toBeCloseTo(parts[3]!, 6);
		expect(parts[1]).toBeCloseTo(parts[2]!, 6);
	});

	it('converges in a few Newton steps even from a model rated 2,000 points above the rest', () => {
		const fit = fitStrengths(2, [{ first: 0, second: 1 }], Float64Array.from([100_000, 0, 1]));
		expect(fit.converged).toBe(true);
		expect(fit.steps).toBeLessThan(30);
	});

	it('refuses a matchup of a model with itself or with a model that is not there, naming it', () => {
		expect(() => fitStrengths(2, [{ first: 1, second: 1 }], Float64Array.from([1, 0, 0]))).toThrow(/1 and 1/);
		expect(() => fitStrengths(2, [{ first: 0, second: 2 }], Float64Array.from([1, 0, 0]))).toThrow(/0 and 2/);
		expect(() => fitStrengths(2, [{ first: 0, second: 1 }], Float64Array.from([1, 0]))).toThrow(/counts/);
	});
});
