import { bootstrapIntervals, type BootstrapOptions } from '../../quality/stats';
import { fitStrengths, type Matchup } from './bradley-terry';

/**
 * `pairs` pairs between models `first` and `second` (indices into the models
 * rated), each with these votes from `first`'s side: pairs grouped by their
 * votes, as SQL counts them. At overlap 1 the groups are simply the wins,
 * ties and losses.
 */
export type PairGroup = Matchup & { wins: number; ties: number; losses: number; pairs: number };

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
 * Bradley–Terry ratings of `models` models with bootstrap intervals. The
 * bootstrap resamples pairs, each with all its votes: votes on one pair judge
 * the same two replies, so resampling them one by one would pretend to more
 * evidence than there is at overlap > 1. Pairs are drawn as a multinomial
 * over the groups (pair of models × votes on a pair), so a replicate costs the
 * same at a hundred votes or a million, and the seed makes the same votes give
 * the same intervals.
 */
export function rateModels(models: number, groups: readonly PairGroup[], options: BootstrapOptions = {}): ModelRating[] {
	if (models === 0) return [];
	const { matchups, countsOf } = matchupsOf(groups);
	const units = Float64Array.from(groups, (group) => group.pairs);
	const fit = fitStrengths(models, matchups, countsOf(units));
	const ratings = toRatings(fit.strengths);
	const intervals = bootstrapIntervals(units, models, (weights) => toRatings(fitStrengths(models, matchups, countsOf(weights), fit.strengths).strengths), options);
	const groupOf = connectedGroups(models, matchups);
	const votes = new Float64Array(models);
	for (const g of groups) {
		votes[g.first]! += g.pairs * (g.wins + g.ties + g.losses);
		votes[g.second]! += g.pairs * (g.wins + g.ties + g.losses);
	}
	// Every replicate is fitted, so no bound is missing; the point estimate stands in if one were.
	const rated = Array.from(ratings, (rating, i) => ({
		rating,
		low: intervals[i]!.low ?? rating,
		high: intervals[i]!.high ?? rating,
		group: groupOf[i]!,
		votes: votes[i]!
	}));
	return rated.map((model) => ({ ...model, rank: 1 + rated.filter((other) => other.low > model.high).length }));
}

/**
 * The pairs of models that met (with votes), and a function from each
 * group's weight (its pairs, or a resample's count of them) to every
 * matchup's wins, ties and losses, as fitStrengths takes them.
 */
function matchupsOf(groups: readonly PairGroup[]) {
	const index = new Map<string, number>();
	const matchups: Matchup[] = [];
	const matchupOf = Int32Array.from(groups, ({ first, second, wins, ties, losses }) => {
		const key = `${Math.min(first, second)} ${Math.max(first, second)}`;
		if (!index.has(key) && wins + ties + losses > 0) {
			index.set(key, matchups.length);
			matchups.push({ first: Math.min(first, second), second: Math.max(first, second) });
		}
		return index.get(key) ?? -1;
	});
	const countsOf = (weights: Float64Array): Float64Array => {
		const counts = new Float64Array(3 * matchups.length);
		groups.forEach(({ first, second, wins, ties, losses }, k) => {
			const m = matchupOf[k]!;
			if (m < 0) return;
			const [won, lost] = first < second ? [wins, losses] : [losses, wins];
			counts[3 * m]! += weights[k]! * won;
			counts[3 * m + 1]! += weights[k]! * ties;
			counts[3 * m + 2]! += weights[k]! * lost;
		});
		return counts;
	};
	return { matchups, countsOf };
}

/** Log-strengths on the Elo-like scale, anchored so that the mean rating is 1000. */
export function toRatings(strengths: Float64Array): Float64Array {
	const mean = strengths.reduce((sum, value) => sum + value, 0) / strengths.length;
	return Float64Array.from(strengths, (value) => MEAN_RATING + (POINTS_PER_DECADE * (value - mean)) / Math.LN10);
}

/** Connected parts of the graph whose edges are matchups (pairs of models with votes), numbered in order of their first model. */
function connectedGroups(models: number, matchups: readonly Matchup[]): Int32Array {
	const parent = Int32Array.from({ length: models }, (_, i) => i);
	const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
	for (const m of matchups) parent[root(m.first)] = root(m.second);
	const numbers = new Map<number, number>();
	return Int32Array.from({ length: models }, (_, i) => {
		const top = root(i);
		if (!numbers.has(top)) numbers.set(top, numbers.size);
		return numbers.get(top)!;
	});
}
