import { inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';
import { modelVersion } from '../db/schema';
import type { ModelRef } from './types';

/**
 * `pairs` pairs of one prompt domain between models `first` and `second`
 * (`first` < `second` as uuids), each with these evaluation votes from
 * `first`'s side.
 */
export type PairGroupRow = { first: string; second: string; domain: string; wins: number; ties: number; losses: number; pairs: number };

const int = (value: unknown): number => Number(value ?? 0);

/**
 * Evaluation votes within `scope` (a condition on the pair `p` and its
 * candidates `ca`, `cb`), counted per pair, then the pairs grouped by pair
 * of models, prompt domain and their votes: the intervals resample and
 * weigh pairs, not votes (stats/), and a persona's million votes come back
 * as a few hundred rows. A vote is a judgment on a pair of a round; gold
 * checks (a known answer) never are, nor a pair of two replies of one
 * model. `a` / `b` name the pair's candidates; tie and both-off-persona are
 * ties.
 */
export async function tallyVotes(db: DbOrTx, scope: SQL): Promise<PairGroupRow[]> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			with votes as (
				select p.id as pair_id, pr.domain,
					least(ca.model_version_id, cb.model_version_id) as first,
					greatest(ca.model_version_id, cb.model_version_id) as second,
					case j.choice when 'a' then ca.model_version_id when 'b' then cb.model_version_id end as winner
				from judgment j
				join pair p on p.id = j.pair_id
				join candidate ca on ca.id = p.candidate_a_id
				join candidate cb on cb.id = p.candidate_b_id
				join prompt pr on pr.id = p.prompt_id
				where p.evaluation_round_id is not null and p.known_answer is null
					and ca.model_version_id <> cb.model_version_id and (${scope})
			), per_pair as (
				select domain, first, second, count(*) filter (where winner = first) as wins,
					count(*) filter (where winner is null) as ties, count(*) filter (where winner = second) as losses
				from votes group by pair_id, domain, first, second
			)
			select first, second, domain, wins, ties, losses, count(*) as pairs
			from per_pair group by first, second, domain, wins, ties, losses`)
	);
	return rows.map((r) => ({
		first: String(r.first),
		second: String(r.second),
		domain: String(r.domain),
		wins: int(r.wins),
		ties: int(r.ties),
		losses: int(r.losses),
		pairs: int(r.pairs)
	}));
}

/** The models with these ids, by id. */
export async function modelRefs(db: DbOrTx, ids: readonly string[]): Promise<Map<string, ModelRef>> {
	if (ids.length === 0) return new Map();
	const rows = await db
		.select({ id: modelVersion.id, name: modelVersion.name, status: modelVersion.status, createdAt: modelVersion.createdAt })
		.from(modelVersion)
		.where(inArray(modelVersion.id, [...new Set(ids)]));
	return new Map(rows.map((row) => [row.id, row]));
}
