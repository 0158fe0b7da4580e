import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';

export type Progress = { today: number; total: number };

/** The annotator's own counts; cheap (index on judgment(annotator_id, created_at)), so sent with every submit. */
export async function progressOf(db: DbOrTx, annotatorId: string, personaId: string): Promise<Progress> {
	const result = await db.execute(sql`
		select count(*)::int as total,
			count(*) filter (where j.created_at >= date_trunc('day', now()))::int as today
		from judgment j join pair p on p.id = j.pair_id
		where j.annotator_id = ${annotatorId} and p.persona_id = ${personaId}`);
	const row = rowsOf<Progress>(result)[0];
	return { today: Number(row?.today ?? 0), total: Number(row?.total ?? 0) };
}

/**
 * Open pairs not yet handed to this annotator (those in hand come on top), counted up to `cap` so a huge queue costs no more than a small one.
 * Checks are left out: they are not work waiting in the queue, and a count that moved with them would give them away.
 */
export async function queueLeft(db: DbOrTx, annotatorId: string, personaId: string, cap = 10_000): Promise<{ count: number; capped: boolean }> {
	const result = await db.execute(sql`
		select count(*)::int as n from (
			select 1 from pair p
			where p.persona_id = ${personaId}
				and p.judgment_count + p.lease_count < p.overlap
				and p.known_answer is null
				and not exists (select 1 from judgment j where j.pair_id = p.id and j.annotator_id = ${annotatorId})
				and not exists (select 1 from pair_skip s where s.pair_id = p.id and s.annotator_id = ${annotatorId})
				and not exists (select 1 from lease l where l.pair_id = p.id and l.annotator_id = ${annotatorId})
			limit ${cap}
		) open`);
	const n = Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
	return { count: n, capped: n >= cap };
}
