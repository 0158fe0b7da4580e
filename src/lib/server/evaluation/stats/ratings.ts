import { bootstrapIntervals, type BootstrapOptions } from '../../quality/stats';
import { fitStrengths, type Matchup } from './bradley-terry';

/** Votes between two models (indices into the models rated), from `first`'s side. */
export type MatchupVotes = Matchup & { wins: number; ties: number; losses: number };

export type ModelRating = {
	/** Elo-like: 1000 + 400 · β / ln 10 (β the log-strength), centred so the models' mean is 1000. */
	rating: number;
	/** Percentile bootstrap 95 % interval. */
	low: number;
	high: number;
	/** 1 + the number of models whose interval lies wholly above this one's (Chatbot Arena's rank). */
	rank: number;
	/** The connected part of the comparison graph the model is in (0, 1, …): ratings compare only within one part. */
	group: number;
	votes: number;
};

export const MEAN_RATING = 1000;
/** Rating points per factor of 10 in the odds of winning, as Elo and Arena. */
export const POINTS_PER_DECADE = 400;

/**
 * Bradley–Terry ratings of `models` models with bootstrap intervals: the
 * votes are resampled as a multinomial over (matchup × outcome) cells, so a
 * replicate costs the same at a hundred votes or a million, and the seed
 * makes the same votes give the same intervals.
 */
export function rateModels(models: number, matchups: readonly MatchupVotes[], options: BootstrapOptions = {}): ModelRating[] {
	if (models === 0) return [];
	const counts = Float64Array.from(matchups.flatMap((m) => [m.wins, m.ties, m.losses]));
	const fit = fitStrengths(models, matchups, counts);
	const ratings = toRatings(fit.strengths);
	const intervals = bootstrapIntervals(counts, models, (weights) => toRatings(fitStrengths(models, matchups, weights, fit.strengths).strengths), options);
	const groups = connectedGroups(models, matchups);
	const votes = new Float64Array(models);
	for (const m of matchups) {
		votes[m.first]! += m.wins + m.ties + m.losses;
		votes[m.second]! += m.wins + m.ties + m.losses;
	}
	// Every replicate is fitted, so no bound is missing; the point estimate stands in if one were.
	const rated = Array.from(ratings, (rating, i) => ({
		rating,
		low: intervals[i]!.low ?? rating,
		high: intervals[i]!.high ?? rating,
		group: groups[i]!,
		votes: votes[i]!
	}));
	return rated.map((model) => ({ ...model, rank: 1 + rated.filter((other) => other.low > model.high).length }));
}

/** Log-strengths on the Elo-like scale, anchored so that the mean rating is 1000. */
export function toRatings(strengths: Float64Array): Float64Array {
	const mean = strengths.reduce((sum, value) => sum + value, 0) / strengths.length;
	return Float64Array.from(strengths, (value) => MEAN_RATING + (POINTS_PER_DECADE * (value - mean)) / Math.LN10);
}

/** The expected score (wins + ties / 2 per vote) of a model rated `rating` against one rated `opponent`. */
export function expectedScore(rating: number, opponent: number): number {
	return 1 / (1 + 10 ** ((opponent - rating) / POINTS_PER_DECADE));
}

/** Connected parts of the graph whose edges are matchups with votes, numbered in order of their first model. */
function connectedGroups(models: number, matchups: readonly MatchupVotes[]): Int32Array {
	const parent = Int32Array.from({ length: models }, (_, i) => i);
	const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
	for (const m of matchups) if (m.wins + m.ties + m.losses > 0) parent[root(m.first)] = root(m.second);
	const numbers = new Map<number, number>();
	return Int32Array.from({ length: models }, (_, i) => {
		const top = root(i);
		if (!numbers.has(top)) numbers.set(top, numbers.size);
		return numbers.get(top)!;
	});
}
