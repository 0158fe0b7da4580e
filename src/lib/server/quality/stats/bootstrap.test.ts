import { describe, expect, it } from 'vitest';
import { bootstrapInterval, bootstrapIntervals } from './bootstrap';
import { quantileSorted } from './describe';
import { seededRandom } from './testing';

/** The textbook bootstrap: draw `total` unit indices with replacement, count them per kind. */
function naiveInterval(units: Float64Array, statistic: (weights: Float64Array) => number, replicates: number) {
	const random = seededRandom(99);
	const kindOf = Array.from(units).flatMap((count, kind) => Array<number>(count).fill(kind));
	const estimates = Array.from({ length: replicates }, () => {
		const weights = new Float64Array(units.length);
		for (let i = 0; i < kindOf.length; i++) weights[kindOf[Math.floor(random() * kindOf.length)]!]! += 1;
		return statistic(weights);
	});
	const sorted = Float64Array.from(estimates).sort();
	return { low: quantileSorted(sorted, 0.025), high: quantileSorted(sorted, 0.975) };
}

/** The share of resampled units that are of kind 0: a statistic whose spread is known. */
const shareOfFirst = (weights: Float64Array): number => weights[0]! / weights.reduce((sum, w) => sum + w, 0);

describe('bootstrapInterval', () => {
	it('matches resampling the units one by one, though it draws counts per kind', () => {
		// Rare and common kinds together: both of the binomial's regimes (n·p below and above 10) are used.
		const units = Float64Array.from([300, 2, 1, 1200, 5, 40, 17, 3]);
		const drawn = bootstrapInterval(units, shareOfFirst, { replicates: 4000 });
		const naive = naiveInterval(units, shareOfFirst, 4000);
		// The share is 300/1568 with a standard error of 0.0099: both intervals are ±1.96 of it, give or take.
		expect(drawn.low).toBeCloseTo(naive.low, 2);
		expect(drawn.high).toBeCloseTo(naive.high, 2);
		expect(drawn.high! - drawn.low!).toBeCloseTo(2 * 1.96 * Math.sqrt((300 / 1568) * (1268 / 1568) / 1568), 2);
	});

	it('gives a rare kind the binomial count it would get by resampling units', () => {
		// 5 of 10,000 units: n·p = 5, where the count is drawn by inversion; Binomial(10000, 0.0005) has mean 5, variance 4.9975.
		const counts: number[] = [];
		bootstrapInterval(Float64Array.from([9995, 5]), (weights) => (counts.push(weights[1]!), 0), { replicates: 20_000 });
		const mean = counts.reduce((sum, count) => sum + count, 0) / counts.length;
		const variance = counts.reduce((sum, count) => sum + (count - mean) ** 2, 0) / (counts.length - 1);
		// Standard errors over 20,000 draws: 0.016 for the mean, about 0.06 for the variance.
		expect(mean).toBeCloseTo(5, 1);
		expect(Math.abs(variance - 4.9975)).toBeLessThan(0.3);
	});

	it('always resamples as many units as there are', () => {
		const units = Float64Array.from([350_000 - 7, 1, 2, 4]);
		let total = 0;
		bootstrapInterval(units, (weights) => ((total = weights.reduce((sum, w) => sum + w, 0)), 0), { replicates: 50 });
		expect(total).toBe(350_000);
	});

	it('leaves out replicates where the statistic is undefined, and is null when all are', () => {
		expect(bootstrapInterval(Float64Array.from([5, 5]), () => null)).toEqual({ low: null, high: null });
		const sometimes = (weights: Float64Array) => (weights[0] === 0 ? null : shareOfFirst(weights));
		const interval = bootstrapInterval(Float64Array.from([1, 9]), sometimes);
		expect(interval.low).toBeGreaterThan(0);
	});

	it('refuses a replicate count or seed it cannot use, naming it', () => {
		const units = Float64Array.from([1, 1]);
		expect(() => bootstrapInterval(units, shareOfFirst, { replicates: 0 })).toThrow(/replicates/);
		expect(() => bootstrapInterval(units, shareOfFirst, { seed: 0 })).toThrow(/seed/);
		expect(() => bootstrapInterval(units, shareOfFirst, { seed: 1.5 })).toThrow(/seed/);
	});

	it('gives several statistics of the same resamples at once, each the interval it would get alone', () => {
		const units = Float64Array.from([120, 30, 50]);
		const shareOf = (kind: number) => (weights: Float64Array) => weights[kind]! / weights.reduce((sum, w) => sum + w, 0);
		const together = bootstrapIntervals(units, 3, (weights) => [0, 1, 2].map((kind) => shareOf(kind)(weights)), { seed: 7 });
		[0, 1, 2].forEach((kind) => expect(together[kind]).toEqual(bootstrapInterval(units, shareOf(kind), { seed: 7 })));
	});
});
