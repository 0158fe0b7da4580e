/**
 * The values given to one unit (a pair); missing values are simply absent.
 * Nominal: category codes; ordinal: positions on an ordered scale (e.g. the
 * signed strength −4…+4, 0 = tie).
 */
export type UnitValues = readonly number[];

/**
 * Pairable units (two values or more) collapsed by their multiset of values.
 * At overlap 3 on a scale of nine values there are at most 165 kinds however
 * many units there are, so every statistic — and every bootstrap replicate —
 * costs per kind, not per unit.
 */
export interface UnitTally {
	/** The distinct values, ascending: the ordinal scale's order; a value's position is its index. */
	readonly values: Float64Array;
	/** How many units are of each kind. */
	readonly units: Float64Array;
	/** How many values a unit of each kind holds. */
	readonly sizes: Int32Array;
	/** Kind k's values are `valueIndex[start[k]] … valueIndex[start[k + 1] - 1]`, each given `valueCount` times. */
	readonly start: Int32Array;
	readonly valueIndex: Int32Array;
	readonly valueCount: Int32Array;
}

/** Collapses units into kinds; units with fewer than two values pair with nothing and are left out. */
export function tallyUnits(units: readonly UnitValues[]): UnitTally {
	const kinds = new Map<string, { sorted: number[]; units: number }>();
	units.forEach((given, u) => {
		if (given.length < 2) return;
		const sorted = sortedCopy(given, u);
		const key = sorted.join(',');
		const kind = kinds.get(key);
		if (kind) kind.units++;
		else kinds.set(key, { sorted, units: 1 });
	});
	return flatten([...kinds.values()]);
}

function sortedCopy(given: UnitValues, unit: number): number[] {
	const sorted = Array.from(given);
	for (const value of sorted) {
		// A NaN would silently become its own category; it can only come from a caller's bug.
		if (!Number.isFinite(value)) throw new RangeError(`unit ${unit} holds ${value}, not a finite number`);
	}
	return sorted.sort((x, y) => x - y);
}

function flatten(kinds: { sorted: number[]; units: number }[]): UnitTally {
	const values = Float64Array.from(new Set(kinds.flatMap((kind) => kind.sorted))).sort();
	const indexOf = new Map<number, number>();
	values.forEach((value, index) => indexOf.set(value, index));
	const start = new Int32Array(kinds.length + 1);
	const valueIndex: number[] = [];
	const valueCount: number[] = [];
	kinds.forEach((kind, k) => {
		start[k] = valueIndex.length;
		kind.sorted.forEach((value, i) => {
			// Sorted, so equal values are neighbours: count them in one entry.
			if (i > 0 && kind.sorted[i - 1] === value) valueCount[valueCount.length - 1]!++;
			else {
				valueIndex.push(indexOf.get(value)!);
				valueCount.push(1);
			}
		});
	});
	start[kinds.length] = valueIndex.length;
	return {
		values,
		units: Float64Array.from(kinds, (kind) => kind.units),
		sizes: Int32Array.from(kinds, (kind) => kind.sorted.length),
		start,
		valueIndex: Int32Array.from(valueIndex),
		valueCount: Int32Array.from(valueCount)
	};
}
