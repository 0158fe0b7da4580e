import type { AlphaFigure } from '../figures';
import { bootstrapInterval, type BootstrapOptions } from './bootstrap';
import { CoincidenceMatrix } from './coincidence';
import { tallyUnits, type UnitTally, type UnitValues } from './tally';

/*
 * Krippendorff's α, computed as in Krippendorff (2011), "Computing
 * Krippendorff's Alpha-Reliability": a coincidence matrix over the pairable
 * values, then α = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck. Written here:
 * the one npm package (`krippendorff` 0.1.0, a side project "not optimized
 * for performance") takes a rater × sample matrix and a pairwise metric, so
 * the ordinal δ² (which needs the margins) and a bootstrap that recomputes α
 * from per-kind counts 1,000 times would both have to be built around it.
 */

export type AlphaLevel = 'nominal' | 'ordinal';

/**
 * Units as value lists, or already tallied (`tallyUnits`, e.g. from groups
 * counted in SQL, or to share one tally between α and raw agreement).
 */
export type Units = readonly UnitValues[] | UnitTally;

export function asTally(units: Units): UnitTally {
	return units instanceof Array ? tallyUnits(units) : (units as UnitTally);
}

export function alpha(units: Units, level: AlphaLevel): { value: number | null; units: number; pairable: number } {
	const tally = asTally(units);
	return { value: alphaOfWeights(new CoincidenceMatrix(tally), level, tally.units), ...counts(tally) };
}

/** α with a percentile bootstrap 95 % interval over units (seeded, so a snapshot is reproducible). */
export function alphaWithInterval(units: Units, level: AlphaLevel, options: BootstrapOptions = {}): AlphaFigure {
	const tally = asTally(units);
	const matrix = new CoincidenceMatrix(tally);
	const value = alphaOfWeights(matrix, level, tally.units);
	const interval =
		value === null
			? { low: null, high: null }
			: bootstrapInterval(tally.units, (weights) => alphaOfWeights(matrix, level, weights), options);
	return { value, ...interval, ...counts(tally) };
}

function counts(tally: UnitTally): { units: number; pairable: number } {
	let units = 0;
	let pairable = 0;
	tally.units.forEach((count, k) => {
		units += count;
		pairable += count * tally.sizes[k]!;
	});
	return { units, pairable };
}

/**
 * α when kind k counts `weights[k]` units: the tally's own counts for the
 * estimate, a resample's for a bootstrap replicate. Null when no two values
 * pair or all of them are the same (no variation: α is undefined).
 */
function alphaOfWeights(matrix: CoincidenceMatrix, level: AlphaLevel, weights: Float64Array): number | null {
	const cells = matrix.fill(weights);
	const totals = matrix.totals();
	const n = totals.reduce((sum, total) => sum + total, 0);
	if (n < 2) return null;
	const { observed, expected } =
		level === 'nominal' ? nominalDisagreement(cells, totals, n) : ordinalDisagreement(cells, totals);
	if (expected === 0) return null;
	return 1 - ((n - 1) * observed) / expected;
}

/** δ² = 1 between different categories: Σ o_ck δ² = n − Σ o_cc, Σ n_c n_k δ² = n² − Σ n_c². */
function nominalDisagreement(cells: Float64Array, totals: Float64Array, n: number) {
	const size = totals.length;
	let diagonal = 0;
	let squares = 0;
	totals.forEach((total, c) => {
		diagonal += cells[c * size + c]!;
		squares += total * total;
	});
	return { observed: n - diagonal, expected: n * n - squares };
}

/** δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k) / 2)²: a distance in ranks, so it depends on the margins. */
function ordinalDisagreement(cells: Float64Array, totals: Float64Array) {
	const size = totals.length;
	let observed = 0;
	let expected = 0;
	for (let c = 0; c < size; c++) {
		const nc = totals[c]!;
		let between = nc;
		for (let k = c + 1; k < size; k++) {
			const nk = totals[k]!;
			between += nk;
			const delta = (between - (nc + nk) / 2) ** 2;
			// δ² is symmetric and zero on the diagonal: count each off-diagonal cell from both sides.
			observed += (cells[c * size + k]! + cells[k * size + c]!) * delta;
			expected += 2 * nc * nk * delta;
		}
	}
	return { observed, expected };
}
