import type { AgreementFigure } from '../figures';
import { bootstrapInterval, type BootstrapOptions } from './bootstrap';
import { asTally, type Units } from './alpha';
import type { UnitTally } from './tally';

/**
 * Raw agreement: of all pairs of values given to the same unit, the share that
 * are equal, pooled over units (a unit of m values holds m(m − 1)/2 pairs).
 * This is the figure InstructGPT reports (72.6 %); it ignores chance, which α
 * corrects for. The interval resamples units, as α's does.
 */
export function rawAgreement(units: Units, options: BootstrapOptions = {}): AgreementFigure {
	const tally = asTally(units);
	const { comparisons, equal } = pairsPerKind(tally);
	const share = (weights: Float64Array): number | null => {
		let compared = 0;
		let agreed = 0;
		weights.forEach((weight, kind) => {
			compared += weight * comparisons[kind]!;
			agreed += weight * equal[kind]!;
		});
		return compared === 0 ? null : agreed / compared;
	};
	const value = share(tally.units);
	const interval = value === null ? { low: null, high: null } : bootstrapInterval(tally.units, share, options);
	const compared = tally.units.reduce((sum, weight, kind) => sum + weight * comparisons[kind]!, 0);
	return { value, ...interval, comparisons: compared };
}

function pairsPerKind(tally: UnitTally): { comparisons: Float64Array; equal: Float64Array } {
	const comparisons = new Float64Array(tally.sizes.length);
	const equal = new Float64Array(tally.sizes.length);
	tally.sizes.forEach((size, kind) => {
		comparisons[kind] = (size * (size - 1)) / 2;
		for (let i = tally.start[kind]!; i < tally.start[kind + 1]!; i++) {
			const count = tally.valueCount[i]!;
			equal[kind]! += (count * (count - 1)) / 2;
		}
	});
	return { comparisons, equal };
}
