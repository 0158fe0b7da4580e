import { describe, expect, it } from 'vitest';
import { alpha, alphaWithInterval } from './alpha';
import { tallyUnits } from './tally';
import { seededRandom, syntheticUnits } from './testing';

/** Reliability data as observers × units (null = missing), turned into the values per unit. */
function byUnit(observers: (number | null)[][]): number[][] {
	return observers[0]!.map((_, unit) =>
		observers.map((row) => row[unit] ?? null).filter((value): value is number => value !== null)
	);
}

/*
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section
 * C: 4 observers, 12 units, with missing values. The paper gives nominal
 * α = 0.743; the ordinal α = 0.815 is the figure the reference Python package
 * (fast-krippendorff, tests/test_krippendorff.py) checks for the same data.
 */
const krippendorff2011 = byUnit([
	[1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
	[1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
	[null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
	[1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null]
]);

describe('alpha', () => {
	it('gives the worked example of Krippendorff (2011): nominal 0.743, ordinal 0.815', () => {
		const nominal = alpha(krippendorff2011, 'nominal');
		expect(nominal.value).toBeCloseTo(0.743, 3);
		// Unit 12 has one value and pairs with nothing: 11 units, 40 pairable values (the paper's n).
		expect(nominal).toMatchObject({ units: 11, pairable: 40 });
		expect(alpha(krippendorff2011, 'ordinal').value).toBeCloseTo(0.815, 3);
	});

	it('gives the nominal figure of the 3 coders × 15 units example (Wikipedia; 0.691358 in the Python package)', () => {
		const units = byUnit([
			[null, null, null, null, null, 3, 4, 1, 2, 1, 1, 3, 3, null, 3],
			[1, null, 2, 1, 3, 3, 4, 3, null, null, null, null, null, null, null],
			[null, null, 2, 1, 3, 4, 4, null, 2, 1, 1, 3, 3, null, 4]
		]);
		expect(alpha(units, 'nominal').value).toBeCloseTo(0.691358, 6);
	});

	it('is 1 when every coder gives each unit the same value', () => {
		const units = [[1, 1, 1], [2, 2], [3, 3, 3, 3], [-4, -4, -4]];
		expect(alpha(units, 'nominal').value).toBe(1);
		expect(alpha(units, 'ordinal').value).toBe(1);
	});

	it('is about 0 for coders who answer at random', () => {
		const units = syntheticUnits(seededRandom(1), 6000, { coders: 3, categories: 4, accuracy: 0 });
		// 18,000 values: α's standard error is about 0.005 here, so 0.03 is six of them.
		expect(Math.abs(alpha(units, 'nominal').value!)).toBeLessThan(0.03);
		expect(Math.abs(alpha(units, 'ordinal').value!)).toBeLessThan(0.03);
	});

	it('ignores units with a single value', () => {
		const withSingles = [...krippendorff2011, [1], [5], [2]];
		expect(alpha(withSingles, 'nominal')).toEqual(alpha(krippendorff2011, 'nominal'));
	});

	it('is null when no unit has two values, or when every value is the same', () => {
		expect(alpha([], 'nominal')).toEqual({ value: null, units: 0, pairable: 0 });
		expect(alpha([[], [3], [1]], 'ordinal')).toEqual({ value: null, units: 0, pairable: 0 });
		expect(alpha([[2, 2], [2, 2, 2]], 'nominal')).toEqual({ value: null, units: 2, pairable: 5 });
	});

	it('reads an ordinal scale by rank only: relabelling it in the same order changes nothing', () => {
		const stretched = krippendorff2011.map((unit) => unit.map((value) => value ** 3 + 100));
		expect(alpha(stretched, 'ordinal').value).toBeCloseTo(alpha(krippendorff2011, 'ordinal').value!, 12);
	});

	it('does not depend on the order of units or of the values within them', () => {
		const shuffled = krippendorff2011.map((unit) => [...unit].reverse()).reverse();
		expect(alpha(shuffled, 'ordinal').value).toBeCloseTo(alpha(krippendorff2011, 'ordinal').value!, 12);
	});

	it('takes units already tallied, e.g. groups counted elsewhere, with the same result', () => {
		const grouped = tallyUnits(krippendorff2011, Array(krippendorff2011.length).fill(3));
		const repeated = [...krippendorff2011, ...krippendorff2011, ...krippendorff2011];
		expect(alpha(grouped, 'ordinal')).toEqual(alpha(repeated, 'ordinal'));
		expect(alphaWithInterval(grouped, 'nominal')).toEqual(alphaWithInterval(repeated, 'nominal'));
	});

	it('refuses a value that is not a finite number, naming the unit', () => {
		expect(() => alpha([[1, 2], [1, Number.NaN]], 'nominal')).toThrow(/unit 1/);
	});
});

describe('alphaWithInterval', () => {
	const careful = (units: number, seed: number) =>
		syntheticUnits(seededRandom(seed), units, { coders: 3, categories: 9, accuracy: 0.7 });

	it('gives the point estimate with a 95 % interval around it', () => {
		const figure = alphaWithInterval(careful(500, 2), 'ordinal');
		expect(figure.value).toBe(alpha(careful(500, 2), 'ordinal').value);
		expect(figure.low!).toBeLessThan(figure.value!);
		expect(figure.high!).toBeGreaterThan(figure.value!);
		expect(figure).toMatchObject({ units: 500, pairable: 1500 });
	});

	it('narrows as units are added', () => {
		const width = (figure: { low: number | null; high: number | null }) => figure.high! - figure.low!;
		const few = alphaWithInterval(careful(200, 3), 'nominal');
		const many = alphaWithInterval(careful(5000, 3), 'nominal');
		// The width shrinks like 1/√units: 25 times the units, about a fifth of the width.
		expect(width(many)).toBeLessThan(width(few) / 3);
	});

	it('gives the same interval for the same seed, and another for another seed', () => {
		const units = careful(300, 4);
		const first = alphaWithInterval(units, 'ordinal', { seed: 7 });
		expect(alphaWithInterval(units, 'ordinal', { seed: 7 })).toEqual(first);
		expect(alphaWithInterval(units, 'ordinal', { seed: 8 })).not.toEqual(first);
	});

	it('has no interval where α itself is undefined', () => {
		expect(alphaWithInterval([[1, 1], [1, 1, 1]], 'nominal')).toEqual({
			value: null,
			low: null,
			high: null,
			units: 2,
			pairable: 5
		});
	});
});
