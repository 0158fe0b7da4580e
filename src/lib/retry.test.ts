import { describe, expect, it } from 'vitest';
import { backoffDelay } from './retry';

describe('backoffDelay', () => {
	const backoff = { baseMs: 1000, maxMs: 30_000 };

	it('doubles per attempt, between half and all of the exponential wait', () => {
		expect([1, 2, 3, 4].map((n) => backoffDelay(n, backoff, () => 0))).toEqual([500, 1000, 2000, 4000]);
		expect([1, 2, 3, 4].map((n) => backoffDelay(n, backoff, () => 1))).toEqual([1000, 2000, 4000, 8000]);
	});

	it('never waits longer than maxMs', () => {
		expect(backoffDelay(20, backoff, () => 1)).toBe(30_000);
	});
});
