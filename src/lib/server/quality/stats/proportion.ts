import exactBinomialTest from '@stdlib/stats-binomial-test';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/*
 * A share of successes among trials: check accuracy, agreement with the
 * majority, the left-pick share. The normal quantile and the exact test come
 * from stdlib (maintained, and the test matches R's binom.test) rather than
 * being re-derived here.
 */

/**
 * The share with its Wilson score interval (Wilson 1927): unlike the normal
 * approximation it stays within 0…1 and is not zero-width at 0/n or n/n, which
 * is where a new annotator's check accuracy starts. All null with no trials.
 */
export function wilson(
	successes: number,
	trials: number,
	confidence = 0.95
): { value: number | null; low: number | null; high: number | null } {
	checkCounts(successes, trials);
	if (trials === 0) return { value: null, low: null, high: null };
	return wilsonOfShare(successes / trials, trials, confidence);
}

/**
 * Wilson's interval for a share observed over `trials`, which need not be a
 * whole number: an effective number of trials (clustered votes count for
 * fewer, evaluation/stats/win-rate.ts) or a share with half-successes in it.
 */
export function wilsonOfShare(
	share: number,
	trials: number,
	confidence = 0.95
): { value: number; low: number; high: number } {
	if (!(share >= 0 && share <= 1)) throw new RangeError(`share must be from 0 to 1, not ${share}`);
	if (!(trials > 0 && Number.isFinite(trials))) throw new RangeError(`trials must be a positive number, not ${trials}`);
	if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, not ${confidence}`);
	const z = normalQuantile(1 - (1 - confidence) / 2, 0, 1);
	const z2n = (z * z) / trials;
	const centre = (share + z2n / 2) / (1 + z2n);
	const half = (z / (1 + z2n)) * Math.sqrt((share * (1 - share)) / trials + z2n / (4 * trials));
	// At 0/n and n/n the bound is exactly 0 or 1; rounding would leave it a hair inside.
	const low = share === 0 ? 0 : Math.max(0, centre - half);
	const high = share === 1 ? 1 : Math.min(1, centre + half);
	return { value: share, low, high };
}

/** Two-sided exact binomial test of "the success probability is p"; null when there are no trials. */
export function binomialTest(successes: number, trials: number, p = 0.5): number | null {
	checkCounts(successes, trials);
	if (!(p > 0 && p < 1)) throw new RangeError(`p must be between 0 and 1, not ${p}`);
	if (trials === 0) return null;
	return Math.min(1, exactBinomialTest(successes, trials, { p, alternative: 'two-sided' }).pValue);
}

function checkCounts(successes: number, trials: number): void {
	if (!Number.isInteger(trials) || trials < 0) throw new RangeError(`trials must be a whole number ≥ 0, not ${trials}`);
	if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
		throw new RangeError(`successes must be a whole number from 0 to ${trials}, not ${successes}`);
	}
}
