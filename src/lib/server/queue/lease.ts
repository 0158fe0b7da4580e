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

/**
 * The annotator's live leases for a persona, oldest first. Those past half
 * their life are pushed out again (the annotator is evidently still there);
 * the others are only read, so most calls write nothing.
 */
export async function renewHeld(db: DbOrTx, annotatorId: string, personaId: string, minutes: number): Promise<Lease[]> {
	const result = await db.execute(sql`
		with held as (
			select l.id, l.pair_id, l.left_candidate_id, l.expires_at, l.created_at,
				p.priority, p.created_at as pair_created_at
			from lease l join pair p on p.id = l.pair_id
			where l.annotator_id = ${annotatorId} and p.persona_id = ${personaId} and l.expires_at > now()
		), renewed as (
			update lease set expires_at = now() + make_interval(mins => ${minutes})
			from held
			where lease.id = held.id and held.expires_at < now() + make_interval(mins => ${minutes}) / 2
			returning lease.id, lease.expires_at
		)
		select held.pair_id, held.left_candidate_id, coalesce(renewed.expires_at, held.expires_at) as expires_at
		from held left join renewed on renewed.id = held.id
		-- the order they were handed out in: by lease, then as the queue orders pairs
		order by held.created_at, held.priority desc, held.pair_created_at, held.pair_id`);
	return rowsOf<LeaseRow>(result).map(toLease);
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
			order by p.priority desc nulls last, p.created_at, p.id
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
 * reload shows the same pair), topped up with new ones to `hold`. Runs in the
 * caller's transaction, so a submit and its next pairs commit together.
 */
export async function handOut(tx: DbOrTx, annotatorId: string, personaId: string, hold: number, minutes: number): Promise<Lease[]> {
	await reclaimExpired(tx);
	const held = await renewHeld(tx, annotatorId, personaId, minutes);
	const fresh = await leaseNew(tx, annotatorId, personaId, hold - held.length, minutes);
	return [...held, ...fresh];
}

/** `handOut` in a transaction of its own. On PGlite every transaction runs alone, which serialises it. */
export async function holdPairs(db: Db, annotatorId: string, personaId: string, hold: number, minutes: number): Promise<Lease[]> {
	return db.transaction((tx) => handOut(tx, annotatorId, personaId, hold, minutes));
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
