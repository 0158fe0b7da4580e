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

/**
 * Collapses units into kinds; units with fewer than two values pair with
 * nothing and are left out. With `counts`, `units[i]` stands for `counts[i]`
 * units that hold those values (a group counted in SQL), so nobody has to
 * repeat it.
 */
export function tallyUnits(units: readonly UnitValues[], counts?: readonly number[]): UnitTally {
	checkCounts(units, counts);
	const values = distinctValues(units, counts);
	const indexOf = new Map<number, number>();
	values.forEach((value, index) => indexOf.set(value, index));
	const kinds = new Map<number | string, { indices: Int32Array; units: number }>();
	const scratch = new Int32Array(units.reduce((longest, given) => Math.max(longest, given.length), 0));
	units.forEach((given, u) => {
		const count = counts?.[u] ?? 1;
		if (given.length < 2 || count === 0) return;
		const indices = sortedIndices(given, indexOf, scratch);
		const key = kindKey(indices, values.length);
		const kind = kinds.get(key);
		if (kind) kind.units += count;
		else kinds.set(key, { indices: indices.slice(), units: count });
	});
	return { values, ...flatten([...kinds.values()]) };
}

function checkCounts(units: readonly UnitValues[], counts: readonly number[] | undefined): void {
	if (counts === undefined) return;
	if (counts.length !== units.length) {
		throw new RangeError(`counts has ${counts.length} entries for ${units.length} units`);
	}
	const bad = counts.findIndex((count) => !Number.isInteger(count) || count < 0);
	if (bad >= 0) throw new RangeError(`counts[${bad}] is ${counts[bad]}, not a whole number ≥ 0`);
}

/** The values of the pairable units, ascending; refuses what is not a finite number. */
function distinctValues(units: readonly UnitValues[], counts: readonly number[] | undefined): Float64Array {
	const seen = new Set<number>();
	units.forEach((given, unit) => {
		if (given.length < 2 || counts?.[unit] === 0) return;
		for (const value of given) {
			// A NaN would silently become its own category; it can only come from a caller's bug.
			if (!Number.isFinite(value)) throw new RangeError(`unit ${unit} holds ${value}, not a finite number`);
			seen.add(value);
		}
	});
	return Float64Array.from(seen).sort();
}

/** The unit's value indices, ascending, in `scratch` (insertion sort: a unit holds a handful of values). */
function sortedIndices(given: UnitValues, indexOf: Map<number, number>, scratch: Int32Array): Int32Array {
	const indices = scratch.subarray(0, given.length);
	given.forEach((value, i) => {
		const index = indexOf.get(value)!;
		let j = i;
		for (; j > 0 && indices[j - 1]! > index; j--) indices[j] = indices[j - 1]!;
		indices[j] = index;
	});
	return indices;
}

/**
 * One key per multiset: the sorted indices as digits 1…C in base C + 1 (no
 * digit is 0, so lengths cannot collide). A number while it is exact, which
 * it is for any unit of our overlaps; past 2⁵³ a string.
 */
function kindKey(indices: Int32Array, size: number): number | string {
	let key = 0;
	for (const index of indices) key = key * (size + 1) + index + 1;
	return Number.isSafeInteger(key) ? key : indices.join(',');
}

function flatten(kinds: { indices: Int32Array; units: number }[]): Omit<UnitTally, 'values'> {
	const start = new Int32Array(kinds.length + 1);
	const valueIndex: number[] = [];
	const valueCount: number[] = [];
	kinds.forEach((kind, k) => {
		start[k] = valueIndex.length;
		kind.indices.forEach((index, i) => {
			// Sorted, so equal values are neighbours: count them in one entry.
			if (i > 0 && kind.indices[i - 1] === index) valueCount[valueCount.length - 1]!++;
			else {
				valueIndex.push(index);
				valueCount.push(1);
			}
		});
	});
	start[kinds.length] = valueIndex.length;
	return {
		units: Float64Array.from(kinds, (kind) => kind.units),
		sizes: Int32Array.from(kinds, (kind) => kind.indices.length),
		start,
		valueIndex: Int32Array.from(valueIndex),
		valueCount: Int32Array.from(valueCount)
	};
}
