import type { Db } from '../db';
import { handOut, holdPairs } from './lease';
import { recordJudgment, type JudgmentInput, type SubmitResult } from './submit';
import { viewPairs, type PairView } from './view';

export { handOut, holdPairs, leaseNew, reclaimExpired, releaseLease, renewHeld, type Lease } from './lease';
export { judgmentInputSchema, LeaseLostError, recordJudgment, skipPair, submitJudgment, undoJudgment, type JudgmentInput, type SubmitResult } from './submit';
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

/**
 * Submit and the next pairs in one round trip and one transaction (one commit
 * to wait for): the vote, then the pairs now in hand. The annotator's counts
 * are not re-read here; the page adds one per recorded judgment.
 */
export async function submitAndNext(
	db: Db,
	annotatorId: string,
	personaId: string,
	input: JudgmentInput,
	settings: QueueSettings
): Promise<{ result: SubmitResult; pairs: PairView[] }> {
	const { result, leases } = await db.transaction(async (tx) => {
		const result = await recordJudgment(tx, annotatorId, input);
		const leases = await handOut(tx, annotatorId, personaId, PAIRS_IN_HAND, settings.leaseMinutes);
		return { result, leases };
	});
	return { result, pairs: await viewPairs(db, leases) };
}
