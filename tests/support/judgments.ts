import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/lib/server/db';
import type { Choice } from '../../src/lib/server/db/schema';

export type VoteFixture = { pairId: string; annotatorId: string; choice: Choice; strength?: number | null; aOnLeft?: boolean; at?: Date };

/**
 * Judgments written straight to the table (as the queue would leave them),
 * with the pair's count kept in step, dated an hour ago unless `at` says
 * otherwise: out of the undo window, so datasets take them.
 */
export async function addVotes(db: Db, votes: VoteFixture[]): Promise<string[]> {
	const ids: string[] = [];
	for (const v of votes) {
		const strength = v.choice === 'a' || v.choice === 'b' ? (v.strength ?? 3) : null;
		const [row] = rowsOf<{ id: string }>(
			await db.execute(sql`
				with bumped as (update pair set judgment_count = judgment_count + 1 where id = ${v.pairId}
					returning candidate_a_id, candidate_b_id)
				insert into judgment (client_id, pair_id, annotator_id, choice, strength, left_candidate_id, duration_ms, created_at)
				select gen_random_uuid(), ${v.pairId}, ${v.annotatorId}, ${v.choice}, ${strength},
					case when ${v.aOnLeft ?? true} then candidate_a_id else candidate_b_id end, 4200,
					${(v.at ?? new Date(Date.now() - 3_600_000)).toISOString()}::timestamptz
				from bumped returning id`)
		);
		if (!row) throw new Error(`addVotes: no pair ${v.pairId}`);
		ids.push(row.id);
	}
	return ids;
}

/** `count` judgments per pair on every pair of the persona, in SQL: a million in seconds (benchmarks). */
export async function addVotesInBulk(db: Db, personaId: string, annotatorIds: string[], perPair: number): Promise<void> {
	await db.execute(sql`
		with voters as (select v.id, v.n from jsonb_array_elements_text(${JSON.stringify(annotatorIds)}::jsonb) with ordinality v(id, n)),
		chosen as (
			select pa.id as pair_id, pa.candidate_a_id, pa.candidate_b_id, voters.id::uuid as annotator_id,
				(abs(hashtext(pa.id::text || voters.n)) % 10) as roll
			from pair pa cross join voters
			where pa.persona_id = ${personaId} and voters.n <= ${perPair}
		)
		insert into judgment (client_id, pair_id, annotator_id, choice, strength, left_candidate_id, duration_ms, created_at)
		select gen_random_uuid(), pair_id, annotator_id,
			case when roll < 6 then 'a' when roll < 9 then 'b' else 'tie' end,
			case when roll < 9 then 1 + roll % 4 end,
			case when roll % 2 = 0 then candidate_a_id else candidate_b_id end, 3000 + roll * 100, now() - interval '1 hour'
		from chosen`);
	await db.execute(sql`update pair set judgment_count = ${perPair} where persona_id = ${personaId}`);
}
