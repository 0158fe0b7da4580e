import { backoffDelay } from '../../retry';
import type { TrainingConfig } from '../config';
import type { JobOutcome } from '../jobs/runner';
import type { KfpError } from '../kubeflow/client';

/**
 * A chain that cannot reach Kubeflow (a restart, an upgrade, a network cut)
 * waits in the queue and looks again with back-off, for `KFP_OUTAGE_MINUTES`
 * from the first failed look; only then does it stop, and an admin can resume
 * it. The outage lives in the chain job's progress, so the Training page can
 * say "Kubeflow unreachable since …" and a restart of the app forgets nothing.
 */

export type Outage = { since: string; error: string; looks: number };

const SINCE = 'kfpUnreachableSince';
const ERROR = 'kfpError';
const LOOKS = 'kfpOutageLooks';

/** Looks during an outage come no further apart than this (or the poll interval, if longer). */
const MAX_OUTAGE_DELAY_MS = 5 * 60_000;

export function outageOf(progress: Record<string, unknown>): Outage | null {
	const since = progress[SINCE];
	if (typeof since !== 'string') return null;
	return { since, error: String(progress[ERROR] ?? ''), looks: Number(progress[LOOKS]) || 0 };
}

/** The progress without an outage: a look got through. */
export function withoutOutage(progress: Record<string, unknown>): Record<string, unknown> {
	const { [SINCE]: _since, [ERROR]: _error, [LOOKS]: _looks, ...rest } = progress;
	return rest;
}

/** Another failed look: wait and look again, or stop once the outage is older than the window. */
export function rideOut(progress: Record<string, unknown>, error: KfpError, now: Date, training: Pick<TrainingConfig, 'pollMs' | 'outageMs'>): JobOutcome {
	const previous = outageOf(progress);
	const since = previous ? new Date(previous.since) : now;
	const outage = { [SINCE]: since.toISOString(), [ERROR]: error.message, [LOOKS]: (previous?.looks ?? 0) + 1 };
	const next = { ...progress, ...outage };
	if (now.getTime() - since.getTime() >= training.outageMs) {
		const minutes = Math.round(training.outageMs / 60_000);
		return {
			status: 'failed',
			progress: next,
			error: `Kubeflow has been unreachable since ${since.toISOString()} (the chain waits ${minutes} min, KFP_OUTAGE_MINUTES): ${error.message}. Resume the chain on the Training page once Kubeflow is back; it follows the runs it has.`
		};
	}
	const delayMs = backoffDelay(outage[LOOKS], { baseMs: training.pollMs, maxMs: Math.max(training.pollMs, MAX_OUTAGE_DELAY_MS) });
	return { status: 'later', delayMs, progress: next };
}
