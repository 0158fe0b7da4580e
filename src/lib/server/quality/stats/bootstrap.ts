import binomial from '@stdlib/random-base-binomial';
import randu from '@stdlib/random-base-randu';
import { quantileSorted } from './describe';

export interface BootstrapOptions {
	/** Resamples drawn; Efron & Tibshirani (1993) ask for about 1,000 for a percentile interval. */
	replicates?: number;
	/** The same seed over the same units gives the same interval, so a snapshot can be recomputed exactly. */
	seed?: number;
}

export const DEFAULT_REPLICATES = 1000;
export const DEFAULT_SEED = 20110412;

export type Interval = { low: number | null; high: number | null };

/**
 * The percentile bootstrap 95 % interval of a statistic over units.
 *
 * `statistic` receives each replicate's per-kind counts (in a reused buffer)
 * and may answer null (undefined for that resample, e.g. no variation left);
 * such replicates are left out, and with none left the interval is null.
 */
export function bootstrapInterval(
	units: Float64Array,
	statistic: (weights: Float64Array) => number | null,
	options: BootstrapOptions = {}
): Interval {
	const [interval] = bootstrapIntervals(units, 1, (weights) => {
		const estimate = statistic(weights);
		return estimate === null ? null : [estimate];
	}, options);
	return interval!;
}

/**
 * The percentile bootstrap 95 % intervals of a statistic with `dimensions`
 * values (the ratings of several models, fitted together on each resample).
 * A replicate answering null is left out of every dimension; a non-finite
 * value is left out of its own.
 */
export function bootstrapIntervals(
	units: Float64Array,
	dimensions: number,
	statistic: (weights: Float64Array) => ArrayLike<number> | null,
	options: BootstrapOptions = {}
): Interval[] {
	const replicates = checkedReplicates(options.replicates ?? DEFAULT_REPLICATES);
	const resample = resampler(units, checkedSeed(options.seed ?? DEFAULT_SEED));
	const weights = new Float64Array(units.length);
	const estimates = Array.from({ length: dimensions }, () => new Float64Array(replicates));
	const defined = new Int32Array(dimensions);
	for (let r = 0; r < replicates; r++) {
		resample(weights);
		const values = statistic(weights);
		if (values === null) continue;
		for (let d = 0; d < dimensions; d++) {
			const value = values[d]!;
			if (Number.isFinite(value)) estimates[d]![defined[d]!++] = value;
		}
	}
	return estimates.map((column, d) => {
		if (defined[d] === 0) return { low: null, high: null };
		const sorted = column.subarray(0, defined[d]).sort();
		return { low: quantileSorted(sorted, 0.025), high: quantileSorted(sorted, 0.975) };
	});
}

/**
 * Drawing N units with replacement from units of K kinds leaves kind k with a
 * Multinomial(N, units_k / N) count, so a replicate draws those K counts (one
 * binomial each, conditionally) instead of N unit indices: 350,000 units cost
 * what their ~200 kinds cost. The variates come from one seeded stdlib
 * generator (Mersenne Twister, BTPE for binomials with n·p ≥ 10).
 */
function resampler(units: Float64Array, seed: number): (weights: Float64Array) => void {
	// One stream for both: stdlib's binomial draws its uniforms from the same Mersenne Twister.
	const uniform = randu.factory({ name: 'mt19937', seed });
	const btpe = binomial.factory({ prng: uniform });
	const draw = (n: number, p: number): number => binomialVariate(n, p, btpe, uniform);
	const total = units.reduce((sum, count) => sum + count, 0);
	const order = largestFirst(units);
	return (weights) => drawCounts(units, order, total, draw, weights);
}

/**
 * A Binomial(n, p) variate. Below n·p = 10 stdlib adds up n Bernoulli draws,
 * which costs O(n) — 350,000 uniforms for each rare kind — so there this
 * inverts the distribution function instead (Kachitvichyanukul & Schmeiser's
 * BINV: about n·p + 1 steps). Above it, stdlib's BTPE.
 */
function binomialVariate(
	n: number,
	p: number,
	btpe: (n: number, p: number) => number,
	uniform: () => number
): number {
	if (p > 0.5) return n - binomialVariate(n, 1 - p, btpe, uniform);
	if (n * p >= 10) return btpe(n, p);
	const odds = p / (1 - p);
	const scaled = (n + 1) * odds;
	let probability = (1 - p) ** n;
	let u = uniform();
	let x = 0;
	// P(x + 1) = P(x) · ((n + 1)·odds / (x + 1) − odds); rounding can leave u above the whole mass: stop at n.
	while (u > probability && x < n) {
		u -= probability;
		x++;
		probability *= scaled / x - odds;
	}
	return x;
}

/** One multinomial draw of `total` units over the kinds, by conditional binomials. */
function drawCounts(
	units: Float64Array,
	order: Int32Array,
	total: number,
	draw: (n: number, p: number) => number,
	weights: Float64Array
): void {
	weights.fill(0);
	let unitsLeft = total;
	let massLeft = total;
	for (const kind of order) {
		if (unitsLeft === 0) break;
		const share = units[kind]! / massLeft;
		// The last kinds' share rounds to ≥ 1: they take what is left, as the multinomial would.
		const count = share >= 1 ? unitsLeft : draw(unitsLeft, share);
		weights[kind] = count;
		unitsLeft -= count;
		massLeft -= units[kind]!;
	}
}

/** Large kinds first: their draws use up the units, and the loop stops early. */
function largestFirst(units: Float64Array): Int32Array {
	return Int32Array.from(units.keys()).sort((x, y) => units[y]! - units[x]!);
}

function checkedReplicates(replicates: number): number {
	if (!Number.isInteger(replicates) || replicates < 1 || replicates > 100_000) {
		throw new RangeError(`replicates must be an integer from 1 to 100000, not ${replicates}`);
	}
	return replicates;
}

function checkedSeed(seed: number): number {
	// stdlib's Mersenne Twister takes a seed in 1 … 2³² − 1.
	if (!Number.isInteger(seed) || seed < 1 || seed > 0xffff_ffff) {
		throw new RangeError(`seed must be an integer from 1 to 4294967295, not ${seed}`);
	}
	return seed;
}
