/*
 * Bradley–Terry strengths from pairwise votes, with ties (docs/architecture.md,
 * "Evaluation: ratings and verdicts"). Model i beats j with probability
 * π_i / (π_i + π_j); a tie — or a vote that both replies are off-persona,
 * Chatbot Arena's "both bad" — counts as half a win for each side, as Arena
 * counts it. Fitted by maximum likelihood with Hunter's (2004) MM algorithm:
 * no matrix to invert, every sweep raises the likelihood, and strengths stay
 * positive.
 */

/** Two models that met, as indices into the models being rated. */
export type Matchup = { first: number; second: number };

/**
 * Every model also tied this many times with a virtual reference of strength
 * 1 (rating 1000). A model that never lost (or never won), or a comparison
 * graph in parts, would otherwise have no finite maximum; one tie pulls an
 * estimate from hundreds of votes by well under a rating point.
 */
export const PRIOR_TIES = 1;

/** A sweep that moves no log-strength by more than this (0.0002 rating points) ends the fit. */
export const TOLERANCE = 1e-6;
const MAX_SWEEPS = 100_000;

export type Fit = { strengths: Float64Array; sweeps: number; converged: boolean };

/**
 * Strengths π (not centred; the reference has 1) of `models` models from
 * `counts`: for matchup m, counts[3m] are first's wins, counts[3m + 1] ties,
 * counts[3m + 2] second's wins. `start` (a previous fit) makes a bootstrap
 * replicate converge in a few sweeps.
 */
export function fitStrengths(models: number, matchups: readonly Matchup[], counts: Float64Array, start?: Float64Array): Fit {
	if (counts.length !== 3 * matchups.length) throw new RangeError(`counts must hold 3 numbers per matchup, not ${counts.length} for ${matchups.length}`);
	const { offsets, opponents, votes } = adjacency(models, matchups, counts);
	const scores = wonScores(models, matchups, counts);
	const strengths = start ? Float64Array.from(start) : new Float64Array(models).fill(1);
	for (let sweep = 1; sweep <= MAX_SWEEPS; sweep++) {
		let largestMove = 0;
		for (let i = 0; i < models; i++) {
			const own = strengths[i]!;
			let expected = PRIOR_TIES / (own + 1);
			for (let k = offsets[i]!; k < offsets[i + 1]!; k++) expected += votes[k]! / (own + strengths[opponents[k]!]!);
			// Hunter's update: the score won over the score the current strengths expect per unit of strength.
			const next = scores[i]! / expected;
			largestMove = Math.max(largestMove, Math.abs(Math.log(next / own)));
			strengths[i] = next;
		}
		if (largestMove < TOLERANCE) return { strengths, sweeps: sweep, converged: true };
	}
	return { strengths, sweeps: MAX_SWEEPS, converged: false };
}

/** Each model's score: its wins, half its ties, and half its virtual tie. */
function wonScores(models: number, matchups: readonly Matchup[], counts: Float64Array): Float64Array {
	const scores = new Float64Array(models).fill(PRIOR_TIES / 2);
	matchups.forEach(({ first, second }, m) => {
		const ties = counts[3 * m + 1]! / 2;
		scores[first]! += counts[3 * m]! + ties;
		scores[second]! += counts[3 * m + 2]! + ties;
	});
	return scores;
}

/** Each model's opponents and the votes with each, as flat arrays (a sweep touches every matchup twice). */
function adjacency(models: number, matchups: readonly Matchup[], counts: Float64Array) {
	const offsets = new Int32Array(models + 1);
	for (const { first, second } of matchups) {
		if (first === second || !(first >= 0 && first < models && second >= 0 && second < models)) {
			throw new RangeError(`a matchup needs two different models from 0 to ${models - 1}, not ${first} and ${second}`);
		}
		offsets[first + 1]!++;
		offsets[second + 1]!++;
	}
	for (let i = 0; i < models; i++) offsets[i + 1]! += offsets[i]!;
	const filled = offsets.slice(0, models);
	const opponents = new Int32Array(2 * matchups.length);
	const votes = new Float64Array(2 * matchups.length);
	matchups.forEach(({ first, second }, m) => {
		const total = counts[3 * m]! + counts[3 * m + 1]! + counts[3 * m + 2]!;
		opponents[filled[first]!] = second;
		votes[filled[first]!++] = total;
		opponents[filled[second]!] = first;
		votes[filled[second]!++] = total;
	});
	return { offsets, opponents, votes };
}
