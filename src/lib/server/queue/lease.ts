import { sql } from 'drizzle-orm';
import { rowsOf, type Db, type DbOrTx } from '../db';

/**
 * Handing out pairs. The rules live in PL/pgSQL (drizzle/0002_rank_functions.sql,
 * checks mixed in by drizzle/0010_gold_checks.sql)
 * so the hot path is one planned-once call: a pair's judgments + leases never
 * exceed its overlap (also a CHECK), expired leases are reclaimed before each
 * hand-out so abandoned work returns, and `SKIP LOCKED` lets concurrent
 * hand-outs pass each other instead of queueing on the same row.
 */

export type Lease = { pairId: string; leftCandidateId: string; expiresAt: Date };

/** A pair in hand with what the page shows of it, as rank_hand_out returns it. */
export type HandedPair = Lease & {
	domain: string;
	messages: Array<{ role: string; content: string }>;
	a: HandedCandidate;
	b: HandedCandidate;
};
export type HandedCandidate = { id: string; text: string; source: string; finishReason: string | null };

type HandOutRow = {
	pair_id: string;
	left_candidate_id: string;
	expires_at: Date | string;
	domain: string;
	messages: HandedPair['messages'] | string;
	a_id: string;
	a_text: string;
	a_source: string;
	a_finish_reason: string | null;
	b_id: string;
	b_text: string;
	b_source: string;
	b_finish_reason: string | null;
};

export type { HandOutRow };

export function toHandedPair(row: HandOutRow): HandedPair {
	return {
		pairId: row.pair_id,
		leftCandidateId: row.left_candidate_id,
		expiresAt: new Date(row.expires_at),
		domain: row.domain,
		messages: typeof row.messages === 'string' ? JSON.parse(row.messages) : row.messages,
		a: { id: row.a_id, text: row.a_text, source: row.a_source, finishReason: row.a_finish_reason },
		b: { id: row.b_id, text: row.b_text, source: row.b_source, finishReason: row.b_finish_reason }
	};
}

/** Frees the slots of leases past their expiry (at most `limit`); returns how many. */
export async function reclaimExpired(db: DbOrTx, limit = 500): Promise<number> {
	const rows = rowsOf<{ freed: number }>(await db.execute(sql`select rank_reclaim_expired(${limit}) as freed`));
	return Number(rows[0]?.freed ?? 0);
}

/**
 * What an annotator should have in hand: the leases they already hold (so a
 * reload shows the same pair), topped up with new ones to `hold`, oldest
 * lease first; each new one is a check with probability 1 / `checkEvery`
 * (0 = never: the persona's quality setting). Runs in the caller's transaction when given one.
 */
export async function handOut(
	db: DbOrTx,
	annotatorId: string,
	personaId: string,
	hold: number,
	minutes: number,
	checkEvery = 0
): Promise<HandedPair[]> {
	const result = await db.execute(
		sql`select * from rank_hand_out(${annotatorId}::uuid, ${personaId}::uuid, ${hold}::integer, ${minutes}::integer, ${checkEvery}::integer)`
	);
	return rowsOf<HandOutRow>(result).map(toHandedPair);
}

/** The leases in hand after topping up (no content): for callers that only need which pairs. */
export async function holdPairs(db: Db, annotatorId: string, personaId: string, hold: number, minutes: number, checkEvery = 0): Promise<Lease[]> {
	const pairs = await handOut(db, annotatorId, personaId, hold, minutes, checkEvery);
	return pairs.map(({ pairId, leftCandidateId, expiresAt }) => ({ pairId, leftCandidateId, expiresAt }));
}

/** Gives back one pair without judging it (the annotator skipped it); a check's lease frees no slot (it has none). */
export async function releaseLease(db: DbOrTx, annotatorId: string, pairId: string): Promise<boolean> {
	const result = await db.execute(sql`
		with gone as (
			delete from lease where pair_id = ${pairId} and annotator_id = ${annotatorId} returning pair_id
		)
		update pair set lease_count = pair.lease_count - case when pair.known_answer is null then 1 else 0 end
		from gone where pair.id = gone.pair_id
		returning pair.id`);
	return rowsOf(result).length > 0;
}
