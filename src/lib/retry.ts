/**
 * One back-off rule for every transport that retries (browser or server):
 * exponential from `baseMs`, half of each wait fixed and half random, so
 * clients that failed together do not come back together, and never longer
 * than `maxMs`. `attempt` counts failures so far, from 1.
 */
export type Backoff = { baseMs: number; maxMs: number };

export function backoffDelay(attempt: number, { baseMs, maxMs }: Backoff, random: () => number = Math.random): number {
	const exponential = baseMs * 2 ** Math.max(0, attempt - 1);
	return Math.round(Math.min(maxMs, exponential * (0.5 + 0.5 * random())));
}

