import type { Db } from '../db';
import { holdPairs } from './lease';
import { progressOf, type Progress } from './progress';
import { submitJudgment, type JudgmentInput, type SubmitResult } from './submit';
import { viewPairs, type PairView } from './view';

export { holdPairs, leaseNew, reclaimExpired, releaseLease, renewHeld, type Lease } from './lease';
export { judgmentInputSchema, LeaseLostError, skipPair, submitJudgment, undoJudgment, type JudgmentInput, type SubmitResult } from './submit';
export { progressOf, queueLeft, type Progress } from './progress';
export { viewPairs, type PairView, type ShownCandidate } from './view';

/** The current pair plus one prefetched, so the next one paints without a round trip. */
export const PAIRS_IN_HAND = 2;

export type QueueSettings = { leaseMinutes: number };

/** What the ranking page shows: the pairs in hand (held ones first, so a reload changes nothing). */
export async function pairsInHand(db: Db, annotatorId: string, personaId: string, settings: QueueSettings): Promise<PairView[]> {
	const leases = await holdPairs(db, annotatorId, personaId, PAIRS_IN_HAND, settings.leaseMinutes);
	return viewPairs(db, leases);
}

/** Submit and the next pairs in one round trip: the page never waits between two judgments. */
export async function submitAndNext(
	db: Db,
	annotatorId: string,
	personaId: string,
	input: JudgmentInput,
	settings: QueueSettings
): Promise<{ result: SubmitResult; pairs: PairView[]; progress: Progress }> {
	const result = await submitJudgment(db, annotatorId, input);
	const pairs = await pairsInHand(db, annotatorId, personaId, settings);
	const progress = await progressOf(db, annotatorId, personaId);
	return { result, pairs, progress };
}
