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
 * Evaluation votes on the pairs `p` that `scope.pairs` selects (and, if
 * given, whose candidates `ca`, `cb` meet `scope.models`), counted per pair,
 * then the pairs grouped by pair of models, prompt domain and their votes:
 * the intervals resample and weigh pairs, not votes (stats/), and a
 * persona's million votes come back as a few hundred rows. A vote is a
 * judgment on a pair of a round; gold checks (a known answer) never are, nor
 * a pair of two replies of one model. `a` / `b` name the pair's candidates;
 * tie and both-off-persona are ties. Votes are counted per pair before the
 * candidates and prompt are joined, so those joins see a third of the rows
 * at overlap 3.
 */
export async function tallyVotes(db: DbOrTx, scope: { pairs: SQL; models?: SQL }): Promise<PairGroupRow[]> {
	const rows = rowsOf<Record<string, unknown>>(await db.execute(tallyQuery(scope.pairs, scope.models)));
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

/** The statement tallyVotes runs (exported for the benchmark's query plan). */
export function tallyQuery(pairs: SQL, models: SQL = sql`true`): SQL {
	return sql`
			with per_pair as (
				select p.id, p.candidate_a_id, p.candidate_b_id, p.prompt_id,
					count(*) filter (where j.choice = 'a') as na, count(*) filter (where j.choice = 'b') as nb,
					count(*) filter (where j.choice in ('tie', 'both_off_persona')) as nt
				from judgment j join pair p on p.id = j.pair_id
				where p.evaluation_round_id is not null and p.known_answer is null and (${pairs})
				group by p.id
			), oriented as (
				select pr.domain, least(ca.model_version_id, cb.model_version_id) as first, greatest(ca.model_version_id, cb.model_version_id) as second,
					case when ca.model_version_id < cb.model_version_id then v.na else v.nb end as wins, v.nt as ties,
					case when ca.model_version_id < cb.model_version_id then v.nb else v.na end as losses
				from per_pair v
				join candidate ca on ca.id = v.candidate_a_id
				join candidate cb on cb.id = v.candidate_b_id
				join prompt pr on pr.id = v.prompt_id
				where ca.model_version_id <> cb.model_version_id and (${models})
			)
			select first, second, domain, wins, ties, losses, count(*) as pairs
			from oriented group by first, second, domain, wins, ties, losses`;
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
