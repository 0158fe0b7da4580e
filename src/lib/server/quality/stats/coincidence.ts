import type { UnitTally } from './tally';

/**
 * Krippendorff's coincidence matrix o_ck over a tally's values: every ordered
 * pair of values within a unit of m values adds 1 / (m − 1) to its cell. Each
 * kind's contribution per unit is worked out once, so filling the matrix for
 * a bootstrap replicate is one multiply-add per (kind, cell).
 */
export class CoincidenceMatrix {
	/** Row-major size × size cells, as last filled. */
	readonly cells: Float64Array;
	readonly size: number;
	readonly #start: Int32Array;
	readonly #cell: Int32Array;
	readonly #perUnit: Float64Array;
	readonly #totals: Float64Array;

	constructor(tally: UnitTally) {
		this.size = tally.values.length;
		this.cells = new Float64Array(this.size * this.size);
		this.#totals = new Float64Array(this.size);
		const start = [0];
		const cell: number[] = [];
		const perUnit: number[] = [];
		tally.sizes.forEach((values, kind) => {
			const counts = valuesOf(tally, kind);
			for (const [c, nc] of counts) {
				for (const [k, nk] of counts) {
					cell.push(c * this.size + k);
					perUnit.push((c === k ? nc * (nc - 1) : nc * nk) / (values - 1));
				}
			}
			start.push(cell.length);
		});
		this.#start = Int32Array.from(start);
		this.#cell = Int32Array.from(cell);
		this.#perUnit = Float64Array.from(perUnit);
	}

	/** The matrix when kind k counts `weights[k]` units. */
	fill(weights: Float64Array): Float64Array {
		const cells = this.cells.fill(0);
		weights.forEach((weight, kind) => {
			if (weight === 0) return;
			for (let i = this.#start[kind]!; i < this.#start[kind + 1]!; i++) {
				cells[this.#cell[i]!]! += weight * this.#perUnit[i]!;
			}
		});
		return cells;
	}

	/** n_c, the row totals of the matrix as last filled: how many pairable values are c. */
	totals(): Float64Array {
		const totals = this.#totals.fill(0);
		this.cells.forEach((amount, cell) => {
			totals[Math.floor(cell / this.size)]! += amount;
		});
		return totals;
	}
}

/** Kind k's [value index, how many times] entries. */
function valuesOf(tally: UnitTally, kind: number): [number, number][] {
	const entries: [number, number][] = [];
	for (let i = tally.start[kind]!; i < tally.start[kind + 1]!; i++) {
		entries.push([tally.valueIndex[i]!, tally.valueCount[i]!]);
	}
	return entries;
}
