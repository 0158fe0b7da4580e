import type { ScopeFigures } from './figures';
import type { UnitGroup } from './crowd-sql';
import { alphaWithInterval, rawAgreement, tallyUnits } from './stats';

/** One seed for every snapshot: the same judgments give the same intervals. */
const BOOTSTRAP_SEED = 12;

/**
 * A scope's figures from its groups, each group tallied with its count: the
 * statistics cost per kind of unit, not per unit, so a domain's or a week's
 * slice gets the full bootstrap too. One tally serves α nominal and raw agreement.
 */
function scopeFigures(key: string, groups: readonly UnitGroup[]): ScopeFigures {
	const counts = groups.map((group) => group.units);
	const nominal = tallyUnits(groups.map((group) => group.nominal), counts);
	const ordinal = tallyUnits(groups.map((group) => group.ordinal), counts);
	const options = { seed: BOOTSTRAP_SEED };
	return {
		key,
		judgments: groups.reduce((sum, group) => sum + group.judgments, 0),
		alphaNominal: alphaWithInterval(nominal, 'nominal', options),
		alphaOrdinal: alphaWithInterval(ordinal, 'ordinal', options),
		rawAgreement: rawAgreement(nominal, options)
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
	return [...byKey.keys()].sort().map((key) => scopeFigures(key, byKey.get(key)!));
}

/** α (nominal and ordinal) and raw agreement overall, per prompt domain and per week (oldest first). */
export function agreementScopes(groups: readonly UnitGroup[]): { overall: ScopeFigures; byDomain: ScopeFigures[]; byWeek: ScopeFigures[] } {
	return {
		overall: scopeFigures('', groups),
		byDomain: sliced(groups, (group) => group.domain),
		byWeek: sliced(groups, (group) => group.week)
	};
}
