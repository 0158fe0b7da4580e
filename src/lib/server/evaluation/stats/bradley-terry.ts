import { solvePositiveDefinite } from './cholesky';

/*
 * Bradley–Terry strengths from pairwise votes, with ties (docs/architecture.md,
 * "Evaluation: ratings and verdicts"). Model i beats j with probability
 * 1 / (1 + e^(β_j − β_i)); a tie — or a vote that both replies are
 * off-persona, Chatbot Arena's "both bad" — counts as half a win for each
 * side, as Arena counts it. Fitted by maximum likelihood with Newton's method
 * on this logistic form: a handful of steps to machine precision, where
 * Hunter's (2004) MM algorithm needed thousands of sweeps here (the prior's
 * weak hold on the common level converges at 1 − prior / votes per sweep).
 */

/** Two models that met, as indices into the models being rated. */
export type Matchup = { first: number; second: number };

/**
 * Every model also tied this many times with a virtual reference of
 * strength 0 (rating 1000). A model that never lost (or never won), or a
 * comparison graph in parts, would otherwise have no finite maximum; one tie
 * moves an estimate from hundreds of votes by well under a rating point.
 */
export const PRIOR_TIES = 1;

/** A Newton step that moves no strength by more than this (2·10⁻⁷ rating points) ends the fit. */
export const TOLERANCE = 1e-9;
const MAX_STEPS = 100;

/** Log-strengths β (not centred; the reference has 0), and whether the fit met its tolerance. */
export type Fit = { strengths: Float64Array; steps: number; converged: boolean };

/**
 * Strengths of `models` models from `counts`: for matchup m, counts[3m] are
 * first's wins, counts[3m + 1] ties, counts[3m + 2] second's wins. `start`
 * (a previous fit) saves a step or two on a bootstrap replicate.
 */
export function fitStrengths(models: number, matchups: readonly Matchup[], counts: Float64Array, start?: Float64Array): Fit {
	checkMatchups(models, matchups, counts);
	const beta = start ? Float64Array.from(start) : new Float64Array(models);
	let objective = logLikelihood(beta, matchups, counts);
	for (let step = 1; step <= MAX_STEPS; step++) {
		const { gradient, information } = derivatives(beta, matchups, counts);
		const direction = solvePositiveDefinite(information, gradient, models);
		// The objective is concave, so a full step almost always raises it; halving guards the first steps from far away.
		// Near the top a step changes it by rounding error only: that is no reason to halve.
		const floor = objective - 1e-12 * (1 + Math.abs(objective));
		let size = 1;
		let trial = moved(beta, direction, size);
		let trialObjective = logLikelihood(trial, matchups, counts);
		while (trialObjective < floor && size > 1e-6) {
			size /= 2;
			trial = moved(beta, direction, size);
			trialObjective = logLikelihood(trial, matchups, counts);
		}
		const largest = direction.reduce((most, d) => Math.max(most, Math.abs(d * size)), 0);
		beta.set(trial);
		objective = trialObjective;
		if (largest < TOLERANCE) return { strengths: beta, steps: step, converged: true };
	}
	return { strengths: beta, steps: MAX_STEPS, converged: false };
}

/** log σ(x) = −log(1 + e^(−x)), without overflow either way. */
function logSigmoid(x: number): number {
	return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
	return 1 / (1 + Math.exp(-x));
}

/** The log-likelihood with ties as half wins, plus each model's virtual tie with the reference. */
function logLikelihood(beta: Float64Array, matchups: readonly Matchup[], counts: Float64Array): number {
	let sum = 0;
	for (const b of beta) sum += (PRIOR_TIES / 2) * (logSigmoid(b) + logSigmoid(-b));
	matchups.forEach(({ first, second }, m) => {
		const d = beta[first]! - beta[second]!;
		const ties = counts[3 * m + 1]! / 2;
		sum += (counts[3 * m]! + ties) * logSigmoid(d) + (counts[3 * m + 2]! + ties) * logSigmoid(-d);
	});
	return sum;
}

/** The gradient and the information matrix (minus the Hessian, row-major), positive definite thanks to the prior. */
function derivatives(beta: Float64Array, matchups: readonly Matchup[], counts: Float64Array) {
	const models = beta.length;
	const gradient = new Float64Array(models);
	const information = new Float64Array(models * models);
	beta.forEach((b, i) => {
		const p = sigmoid(b);
		gradient[i] = PRIOR_TIES * (0.5 - p);
		information[i * models + i] = PRIOR_TIES * p * (1 - p);
	});
	matchups.forEach(({ first, second }, m) => {
		const votes = counts[3 * m]! + counts[3 * m + 1]! + counts[3 * m + 2]!;
		const p = sigmoid(beta[first]! - beta[second]!);
		const surplus = counts[3 * m]! + counts[3 * m + 1]! / 2 - votes * p;
		const weight = votes * p * (1 - p);
		gradient[first]! += surplus;
		gradient[second]! -= surplus;
		information[first * models + first]! += weight;
		information[second * models + second]! += weight;
		information[first * models + second]! -= weight;
		information[second * models + first]! -= weight;
	});
	return { gradient, information };
}

function moved(beta: Float64Array, direction: Float64Array, size: number): Float64Array {
	return Float64Array.from(beta, (b, i) => b + size * direction[i]!);
}

function checkMatchups(models: number, matchups: readonly Matchup[], counts: Float64Array): void {
	if (counts.length !== 3 * matchups.length) throw new RangeError(`counts must hold 3 numbers per matchup, not ${counts.length} for ${matchups.length}`);
	for (const { first, second } of matchups) {
		if (first === second || !(first >= 0 && first < models && second >= 0 && second < models)) {
			throw new RangeError(`a matchup needs two different models from 0 to ${models - 1}, not ${first} and ${second}`);
		}
	}
}
