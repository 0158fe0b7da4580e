/**
 * Exponential back-off with jitter, for every transport that tries again, in the browser or on the server
 * (the ranking outbox, gold autosave, Kubeflow requests, the storage announcement, a chain riding out an outage).
 * Pure: it computes a delay and never sleeps, so callers that wait in the job
 * queue (postpone) and callers that wait in memory share one formula.
 */

export type Backoff = {
	/** The delay before the second try (attempt 1), before jitter. */
	baseMs: number;
	/** No delay grows past this. */
	maxMs: number;
};

/**
 * The delay before try `attempt + 1`: `baseMs · 2^(attempt−1)`, capped at
 * `maxMs`, half of it random, so workers that failed together do not retry
 * together. `random` is there for specs that want one exact number.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
	const exponential = backoff.baseMs * 2 ** Math.max(0, attempt - 1);
	return Math.round(Math.min(backoff.maxMs, exponential) * (0.5 + 0.5 * random()));
}
