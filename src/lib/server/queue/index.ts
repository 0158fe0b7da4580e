import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db';
import { handOut, toHandedPair, type HandOutRow } from './lease';
import { domainError, type JudgmentInput, type SubmitResult } from './submit';
import { viewPair, type PairView } from './view';

export { handOut, holdPairs, reclaimExpired, releaseLease, type HandedPair, type Lease } from './lease';
export { judgmentInputSchema, LeaseLostError, recordJudgment, skipPair, submitJudgment, undoJudgment, type JudgmentInput, type SubmitResult, type UndoResult } from './submit';
export { progressOf, queueLeft, type Progress } from './progress';
export { viewPair, type PairView, type ShownCandidate } from './view';

/** The current pair plus one prefetched, so the next one paints without a round trip. */
export const PAIRS_IN_HAND = 2;

/** `checkEvery`: one new hand-out in this many (on average) is a gold check; 0 or absent = none (quality/settings.ts). */
export type QueueSettings = { leaseMinutes: number; checkEvery?: number };

/** What the ranking page shows: the pairs in hand (held ones first, so a reload changes nothing). */
export async function pairsInHand(db: Db, annotatorId: string, personaId: string, settings: QueueSettings): Promise<PairView[]> {
	const pairs = await handOut(db, annotatorId, personaId, PAIRS_IN_HAND, settings.leaseMinutes, settings.checkEvery ?? 0);
	return pairs.map(viewPair);
}

/**
 * Submit and the next pairs in one statement (rank_submit_and_hand_out): one
 * round trip and one commit. The annotator's counts are not re-read here;
 * the page adds one per recorded judgment.
 */
export async function submitAndNext(
	db: Db,
	annotatorId: string,
	personaId: string,
	input: JudgmentInput,
	settings: QueueSettings
): Promise<{ result: SubmitResult; pairs: PairView[] }> {
	let rows: Array<HandOutRow & { status: SubmitResult['status']; judgment_id: string; choice: SubmitResult['choice'] }>;
	try {
		rows = rowsOf(
			await db.execute(sql`
				select * from rank_submit_and_hand_out(${annotatorId}::uuid, ${personaId}::uuid, ${input.clientId}::uuid,
					${input.pairId}::uuid, ${input.preferred}::text, ${input.strength ?? null}::integer,
					${input.rationale ?? null}::text, ${input.durationMs ?? null}::integer, ${PAIRS_IN_HAND}::integer,
					${settings.leaseMinutes}::integer, ${settings.checkEvery ?? 0}::integer)`)
		);
	} catch (error) {
		throw domainError(error);
	}
	const first = rows[0];
	if (!first) throw new Error('rank_submit_and_hand_out returned no row');
	const result: SubmitResult = { status: first.status, judgmentId: first.judgment_id, choice: first.choice };
	return { result, pairs: rows.filter((row) => row.pair_id !== null).map((row) => viewPair(toHandedPair(row))) };
}
