import { describe, expect, it } from 'vitest';
import { binomialTest, wilson, wilsonOfShare } from './proportion';

describe('wilson', () => {
	/*
	 * Newcombe (1998), "Two-sided confidence intervals for the single
	 * proportion: comparison of seven methods", Statistics in Medicine 17,
	 * 857–872: its worked examples, method 3 (the score interval without continuity correction).
	 */
	it.each([
		[81, 263, 0.2553, 0.3662],
		[15, 148, 0.0624, 0.1605],
		[0, 20, 0, 0.1611],
		[1, 29, 0.0061, 0.1718]
	])('gives Newcombe’s 95 %% interval for %i of %i', (successes, trials, low, high) => {
		const interval = wilson(successes, trials);
		expect(interval.value).toBe(successes / trials);
		expect(interval.low).toBeCloseTo(low, 4);
		expect(interval.high).toBeCloseTo(high, 4);
	});

	it('is not zero-width at 0 of 10 and 10 of 10, and symmetric at 5 of 10', () => {
		expect(wilson(0, 10)).toEqual({ value: 0, low: 0, high: expect.closeTo(0.2775, 4) });
		expect(wilson(10, 10)).toEqual({ value: 1, low: expect.closeTo(0.7225, 4), high: 1 });
		expect(wilson(5, 10)).toEqual({ value: 0.5, low: expect.closeTo(0.2366, 4), high: expect.closeTo(0.7634, 4) });
	});

	it('widens with the confidence asked for', () => {
		const at95 = wilson(30, 100);
		const at99 = wilson(30, 100, 0.99);
		expect(at99.low!).toBeLessThan(at95.low!);
		expect(at99.high!).toBeGreaterThan(at95.high!);
	});

	it('has no share and no interval without trials', () => {
		expect(wilson(0, 0)).toEqual({ value: null, low: null, high: null });
	});

	it('refuses counts that cannot be, naming them', () => {
		expect(() => wilson(11, 10)).toThrow(/successes/);
		expect(() => wilson(-1, 10)).toThrow(/successes/);
		expect(() => wilson(1, 2.5)).toThrow(/trials/);
		expect(() => wilson(1, 2, 1)).toThrow(/confidence/);
	});
});

describe('binomialTest', () => {
	it('gives the exact two-sided p-value: 9 of 10 → 0.02148, 0 of 10 → 2/1024', () => {
		expect(binomialTest(9, 10)).toBeCloseTo(0.021484375, 9);
		expect(binomialTest(0, 10)).toBeCloseTo(2 / 1024, 12);
	});

	it('is 1 for an even split: 50 of 100', () => {
		expect(binomialTest(50, 100)).toBe(1);
	});

	it('tests another null share: R’s binom.test(682, 925, p = 0.75) example gives 0.3825', () => {
		expect(binomialTest(682, 925, 0.75)).toBeCloseTo(0.3825, 4);
	});

	it('is null without trials', () => {
		expect(binomialTest(0, 0)).toBeNull();
	});

	it('refuses counts that cannot be', () => {
		expect(() => binomialTest(5, 4)).toThrow(/successes/);
		expect(() => binomialTest(1, 4, 0)).toThrow(/p must/);
	});
});

describe('wilsonOfShare', () => {
	it('is wilson for whole counts, and takes an effective number of trials between them', () => {
		expect(wilsonOfShare(0.3, 100)).toEqual(wilson(30, 100));
		const fewer = wilsonOfShare(0.3, 62.5);
		expect(fewer.high - fewer.low).toBeGreaterThan(wilson(30, 100).high! - wilson(30, 100).low!);
		expect(fewer.high - fewer.low).toBeLessThan(wilson(15, 50).high! - wilson(15, 50).low!);
	});

	it('refuses a share outside 0…1 or no trials, naming it', () => {
		expect(() => wilsonOfShare(1.2, 10)).toThrow(/share/);
		expect(() => wilsonOfShare(0.5, 0)).toThrow(/trials/);
	});
});
