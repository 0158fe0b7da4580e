/** The job that follows a round and promotes its candidate when the persona's settings say so (watch.ts). */
export const WATCH_JOB = 'evaluation.watch';

/** One watch per round, however often its creation is retried. */
export function watchDedupeKey(roundId: string): string {
	return `${WATCH_JOB}:${roundId}`;
}
