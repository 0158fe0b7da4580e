import { sql } from 'drizzle-orm';
import { rowsOf, type Db, type DbOrTx } from '../db';

/**
 * Handing out pairs. A pair's `judgment_count + lease_count` never exceeds its
 * overlap (a CHECK in the database); a hand-out takes a slot and a judgment
 * turns the slot into a vote. Expired leases are reclaimed before each
 * hand-out, so abandoned work returns to the queue.
 */

export type Lease = { pairId: string; leftCandidateId: string; expiresAt: Date };

type LeaseRow = { pair_id: string; left_candidate_id: string; expires_at: Date | string };

function toLease(row: LeaseRow): Lease {
	return { pairId: row.pair_id, leftCandidateId: row.left_candidate_id, expiresAt: new Date(row.expires_at) };
}

/** Frees the slots of leases past their expiry. Bounded, and skips rows another transaction holds. */
export async function reclaimExpired(db: DbOrTx, limit = 500): Promise<number> {
	const result = await db.execute(sql`
		with expired as (
			select id from lease where expires_at < now() order by expires_at limit ${limit} for update skip locked
		), gone as (
			delete from lease using expired where lease.id = expired.id returning lease.pair_id
		), freed as (
			update pair set lease_count = pair.lease_count - g.n
			from (select pair_id, count(*)::int as n from gone group by pair_id) g
			where pair.id = g.pair_id
			returning g.n
		)
		select coalesce(sum(n), 0)::int as freed from freed`);
	return Number(rowsOf<{ freed: number }>(result)[0]?.freed ?? 0);
}

/** The annotator's live leases for a persona, oldest first, their expiry pushed out (they are being looked at). */
export async function renewHeld(db: DbOrTx, annotatorId: string, personaId: string, minutes: number): Promise<Lease[]> {
	const result = await db.execute(sql`
		update lease set expires_at = now() + make_interval(mins => ${minutes})
		from pair
		where pair.id = lease.pair_id and pair.persona_id = ${personaId}
			and lease.annotator_id = ${annotatorId} and lease.expires_at > now()
		returning lease.pair_id, lease.left_candidate_id, lease.expires_at, lease.created_at`);
	return rowsOf<LeaseRow & { created_at: Date | string }>(result)
		.sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime())
		.map(toLease);
}

/**
 * Leases up to `count` new pairs to the annotator in one statement: open pairs
 * they have not judged, skipped or been handed, highest priority then oldest,
 * each with a random side for candidate A. `SKIP LOCKED` lets concurrent
 * hand-outs pass each other instead of queueing on the same row; the row is
 * re-checked after locking, so a pair that filled up meanwhile is not taken.
 */
export async function leaseNew(
	db: DbOrTx,
	annotatorId: string,
	personaId: string,
	count: number,
	minutes: number
): Promise<Lease[]> {
	if (count <= 0) return [];
	const result = await db.execute(sql`
		with picked as (
			select p.id from pair p
			where p.persona_id = ${personaId}
				and p.judgment_count + p.lease_count < p.overlap
				and not exists (select 1 from judgment j where j.pair_id = p.id and j.annotator_id = ${annotatorId})
				and not exists (select 1 from lease l where l.pair_id = p.id and l.annotator_id = ${annotatorId})
				and not exists (select 1 from pair_skip s where s.pair_id = p.id and s.annotator_id = ${annotatorId})
			order by p.priority desc, p.created_at, p.id
			limit ${count}
			for update of p skip locked
		), taken as (
			update pair set lease_count = pair.lease_count + 1
			from picked where pair.id = picked.id
			returning pair.id, pair.candidate_a_id, pair.candidate_b_id, pair.priority, pair.created_at
		)
		insert into lease (pair_id, annotator_id, left_candidate_id, expires_at)
		select id, ${annotatorId},
			case when random() < 0.5 then candidate_a_id else candidate_b_id end,
			now() + make_interval(mins => ${minutes})
		from taken
		order by priority desc, created_at, id
		returning pair_id, left_candidate_id, expires_at`);
	return rowsOf<LeaseRow>(result).map(toLease);
}

/**
 * What an annotator should have in hand: the leases they already hold (so a
 * reload shows the same pair), topped up with new ones to `hold`. One
 * transaction; on PGlite every transaction runs alone, which serialises it.
 */
export async function holdPairs(
	db: Db,
	annotatorId: string,
	personaId: string,
	hold: number,
	minutes: number
): Promise<Lease[]> {
	return db.transaction(async (tx) => {
		await reclaimExpired(tx);
		const held = await renewHeld(tx, annotatorId, personaId, minutes);
		const fresh = await leaseNew(tx, annotatorId, personaId, hold - held.length, minutes);
		return [...held, ...fresh];
	});
}

/** Gives back one pair without judging it (the annotator skipped it or signed out). */
export async function releaseLease(db: DbOrTx, annotatorId: string, pairId: string): Promise<boolean> {
	const result = await db.execute(sql`
		with gone as (
			delete from lease where pair_id = ${pairId} and annotator_id = ${annotatorId} returning pair_id
		)
		update pair set lease_count = pair.lease_count - 1 from gone where pair.id = gone.pair_id
		returning pair.id`);
	return rowsOf(result).length > 0;
}
