import { inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';
import { modelVersion } from '../db/schema';
import type { WinTally } from './stats';
import type { ModelRef } from './types';

/** Evaluation votes between two models on the prompts of one domain, from `first`'s side (`first` < `second` as uuids). */
export type DomainTally = { first: string; second: string; domain: string; tally: WinTally };

const int = (value: unknown): number => Number(value ?? 0);

/**
 * Evaluation votes within `scope` (a condition on the pair `p` and its
 * candidates `ca`, `cb`), tallied per pair of models and prompt domain. A
 * vote is a judgment on a pair of a round; gold checks (a known answer)
 * never are, nor a pair of two replies of one model. `a` / `b` name the
 * pair's candidates; tie and both-off-persona are ties. Votes are first
 * counted per pair, so the win rate's interval can see how they cluster
 * (stats/win-rate.ts); no judgment comes into memory.
 */
export async function tallyVotes(db: DbOrTx, scope: SQL): Promise<DomainTally[]> {
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
					count(*) filter (where winner is null) as ties, count(*) filter (where winner = second) as losses, count(*) as votes
				from votes group by pair_id, domain, first, second
			)
			select first, second, domain, sum(wins) as wins, sum(ties) as ties, sum(losses) as losses, count(*) as pairs,
				sum((2 * wins + ties) * (2 * wins + ties)) as half_score_squares, sum((2 * wins + ties) * votes) as half_score_votes,
				sum(votes * votes) as vote_squares
			from per_pair group by first, second, domain`)
	);
	return rows.map((r) => ({
		first: String(r.first),
		second: String(r.second),
		domain: String(r.domain),
		tally: {
			wins: int(r.wins),
			ties: int(r.ties),
			losses: int(r.losses),
			pairs: int(r.pairs),
			halfScoreSquares: int(r.half_score_squares),
			halfScoreVotes: int(r.half_score_votes),
			voteSquares: int(r.vote_squares)
		}
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
