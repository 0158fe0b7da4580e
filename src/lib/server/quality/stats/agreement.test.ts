import { describe, expect, it } from 'vitest';
import { rawAgreement } from './agreement';
import { seededRandom, syntheticUnits } from './testing';

describe('rawAgreement', () => {
	it('is the share of equal pairs of values within units, pooled over all pairs', () => {
		// [a, a, b]: 3 pairs, 1 equal; [a, a]: 1 pair, 1 equal; [b, c, d, d]: 6 pairs, 1 equal.
		const figure = rawAgreement([
			[0, 0, 1],
			[0, 0],
			[1, 2, 3, 3]
		]);
		expect(figure.value).toBeCloseTo(3 / 10, 12);
		expect(figure.comparisons).toBe(10);
	});

	it('is 1 among identical coders and the chance rate among random ones', () => {
		expect(rawAgreement([[2, 2, 2], [1, 1]]).value).toBe(1);
		const random = syntheticUnits(seededRandom(5), 6000, { coders: 3, categories: 4, accuracy: 0 });
		// Chance agreement over 4 equally likely answers is 1/4; 18,000 pairs put the standard error near 0.004.
		expect(Math.abs(rawAgreement(random).value! - 0.25)).toBeLessThan(0.02);
	});

	it('ignores units with one value and is null with nothing to compare', () => {
		expect(rawAgreement([[1], [2, 2]]).comparisons).toBe(1);
		expect(rawAgreement([[1], []])).toEqual({ value: null, low: null, high: null, comparisons: 0 });
	});

	it('has a reproducible 95 % interval around the share, within 0…1', () => {
		const units = syntheticUnits(seededRandom(6), 400, { coders: 3, categories: 4, accuracy: 0.8 });
		const figure = rawAgreement(units, { seed: 3 });
		expect(figure.low!).toBeLessThan(figure.value!);
		expect(figure.high!).toBeGreaterThan(figure.value!);
		expect(figure.low!).toBeGreaterThanOrEqual(0);
		expect(figure.high!).toBeLessThanOrEqual(1);
		expect(rawAgreement(units, { seed: 3 })).toEqual(figure);
	});
});
