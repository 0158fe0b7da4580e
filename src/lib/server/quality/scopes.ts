import type { ScopeFigures } from './figures';
import type { UnitGroup } from './crowd-sql';
import { alphaWithInterval, rawAgreement, type UnitValues } from './stats';

/** One seed for every snapshot: the same judgments give the same intervals. */
const BOOTSTRAP_SEED = 12;
/** Overall figures get the full bootstrap; a domain's or week's is a slice of the same units, so fewer replicates keep the job's cost near one overall pass. */
const OVERALL_REPLICATES = 1000;
const SLICE_REPLICATES = 400;

/**
 * The units of some groups, each group's value arrays repeated `units` times
 * (the same array object: the statistics read them, never change them).
 */
function unitsOf(groups: readonly UnitGroup[]): { nominal: UnitValues[]; ordinal: UnitValues[]; judgments: number } {
	const nominal: UnitValues[] = [];
	const ordinal: UnitValues[] = [];
	let judgments = 0;
	for (const group of groups) {
		for (let i = 0; i < group.units; i++) {
			nominal.push(group.nominal);
			ordinal.push(group.ordinal);
		}
		judgments += group.judgments;
	}
	return { nominal, ordinal, judgments };
}

function scopeFigures(key: string, groups: readonly UnitGroup[], replicates: number): ScopeFigures {
	const units = unitsOf(groups);
	const options = { replicates, seed: BOOTSTRAP_SEED };
	return {
		key,
		judgments: units.judgments,
		alphaNominal: alphaWithInterval(units.nominal, 'nominal', options),
		alphaOrdinal: alphaWithInterval(units.ordinal, 'ordinal', options),
		rawAgreement: rawAgreement(units.nominal, options)
	};
}

function sliced(groups: readonly UnitGroup[], keyOf: (group: UnitGroup) => string): ScopeFigures[] {
	const byKey = new Map<string, UnitGroup[]>();
	for (const group of groups) {
		const key = keyOf(group);
		const list = byKey.get(key) ?? [];
		list.push(group);
		byKey.set(key, list);
	}
	return [...byKey.keys()].sort().map((key) => scopeFigures(key, byKey.get(key)!, SLICE_REPLICATES));
}

/** α (nominal and ordinal) and raw agreement overall, per prompt domain and per week (oldest first). */
export function agreementScopes(groups: readonly UnitGroup[]): { overall: ScopeFigures; byDomain: ScopeFigures[]; byWeek: ScopeFigures[] } {
	return {
		overall: scopeFigures('', groups, OVERALL_REPLICATES),
		byDomain: sliced(groups, (group) => group.domain),
		byWeek: sliced(groups, (group) => group.week)
	};
}
