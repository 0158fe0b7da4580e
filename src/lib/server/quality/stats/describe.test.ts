import { describe, expect, it } from 'vitest';
import { longestRun, median, quantileSorted } from './describe';

describe('median', () => {
	it('is the middle value, or the mean of the two middle ones', () => {
		expect(median([5, 1, 3])).toBe(3);
		expect(median([4, 1, 3, 10])).toBe(3.5);
		expect(median([7])).toBe(7);
	});

	it('is null without values', () => {
		expect(median([])).toBeNull();
	});

	it('leaves its input as it was', () => {
		const durations = [3, 1, 2];
		median(durations);
		expect(durations).toEqual([3, 1, 2]);
	});
});

describe('quantileSorted', () => {
	it('interpolates between order statistics as R’s default (type 7) does', () => {
		// R: quantile(1:10, c(0.025, 0.5, 0.975)) → 1.225, 5.5, 9.775
		const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
		expect(quantileSorted(values, 0.025)).toBeCloseTo(1.225, 12);
		expect(quantileSorted(values, 0.5)).toBe(5.5);
		expect(quantileSorted(values, 0.975)).toBeCloseTo(9.775, 12);
	});
});

describe('longestRun', () => {
	it('counts the longest stretch of the same answer in a row', () => {
		expect(longestRun(['left', 'left', 'right', 'left', 'left', 'left', 'tie'])).toBe(3);
		expect(longestRun(['tie', 'tie', 'tie'])).toBe(3);
		expect(longestRun(['left', 'right', 'left'])).toBe(1);
	});

	it('is 0 without answers', () => {
		expect(longestRun([])).toBe(0);
	});
});
