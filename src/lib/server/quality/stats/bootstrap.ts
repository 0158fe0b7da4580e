import binomial from '@stdlib/random-base-binomial';
import { quantileSorted } from './describe';

export interface BootstrapOptions {
	/** Resamples drawn; 1,000 gives the 2.5 % and 97.5 % points to about ±0.01 of their own spread. */
	replicates?: number;
	/** The same seed over the same units gives the same interval, so a snapshot can be recomputed exactly. */
	seed?: number;
}

export const DEFAULT_REPLICATES = 1000;
export const DEFAULT_SEED = 20110412;

/**
 * The percentile bootstrap 95 % interval of a statistic over units.
 *
 * Drawing N units with replacement from units of K kinds leaves kind k with a
 * Multinomial(N, units_k / N) count, so each replicate draws those K counts
 * (one binomial each, conditionally) instead of N unit indices: 350,000 units
 * cost what their ~200 kinds cost. The binomial variates come from stdlib's
 * seeded generator rather than one written here.
 *
 * `statistic` receives each replicate's per-kind counts (in a reused buffer)
 * and may answer null (undefined for that resample, e.g. no variation left);
 * such replicates are left out, and with none left the interval is null.
 */
export function bootstrapInterval(
	units: Float64Array,
	statistic: (weights: Float64Array) => number | null,
	options: BootstrapOptions = {}
): { low: number | null; high: number | null } {
	const replicates = checkedReplicates(options.replicates ?? DEFAULT_REPLICATES);
	const draw = binomial.factory({ seed: checkedSeed(options.seed ?? DEFAULT_SEED) });
	const order = largestFirst(units);
	const total = units.reduce((sum, count) => sum + count, 0);
	const weights = new Float64Array(units.length);
	const estimates = new Float64Array(replicates);
	let defined = 0;
	for (let r = 0; r < replicates; r++) {
		resample(units, order, total, draw, weights);
		const estimate = statistic(weights);
		if (estimate !== null && Number.isFinite(estimate)) estimates[defined++] = estimate;
	}
	if (defined === 0) return { low: null, high: null };
	const sorted = estimates.subarray(0, defined).sort();
	return { low: quantileSorted(sorted, 0.025), high: quantileSorted(sorted, 0.975) };
}

/** One multinomial draw of `total` units over the kinds, by conditional binomials. */
function resample(
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

/** Large kinds first: the draws for them use up the units, and the loop stops early. */
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
