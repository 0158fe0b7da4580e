import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';

/**
 * Each annotator's counts, aggregated by PostgreSQL: a million judgments
 * become one row per annotator, so the job never holds the votes in memory.
 * Populations (docs/architecture.md, "Quality snapshots"):
 * - behaviour (votes, tie/off rates, median time, fast votes, runs) counts
 *   every vote, checks included: checks look like any other pair;
 * - agreement, a/b votes, left picks and strength count pairs without a
 *   known answer only; checks count for check accuracy alone.
 */
export type AnnotatorCounts = {
	annotatorId: string;
	votes: number;
	ties: number;
	offs: number;
	medianMs: number | null;
	abVotes: number;
	leftPicks: number;
	strengthMode: number;
	checkAnswers: number;
	checkCorrect: number;
	sharedPairs: number;
	agreements: number;
	fastVotes: number;
	longestRun: number;
};

/** The persona's judgments with what every figure needs of their pair. */
function personaVotes(personaId: string): SQL {
	return sql`
		select j.id, j.annotator_id, j.pair_id, j.choice, j.strength, j.duration_ms, j.created_at,
			p.known_answer, p.candidate_a_id, p.candidate_b_id,
			(j.choice = 'a' and j.left_candidate_id = p.candidate_a_id)
				or (j.choice = 'b' and j.left_candidate_id = p.candidate_b_id) as left_pick
		from judgment j join pair p on p.id = j.pair_id
		where p.persona_id = ${personaId}`;
}

const int = (value: unknown): number => Number(value ?? 0);

async function totals(db: DbOrTx, personaId: string): Promise<Map<string, Partial<AnnotatorCounts>>> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			with v as (${personaVotes(personaId)}),
			strengths as (
				select annotator_id, max(n) as mode from (
					select annotator_id, strength, count(*) as n from v
					where known_answer is null and choice in ('a', 'b') group by annotator_id, strength
				) s group by annotator_id
			)
			select v.annotator_id,
				count(*) as votes,
				count(*) filter (where choice = 'tie') as ties,
				count(*) filter (where choice = 'both_off_persona') as offs,
				percentile_cont(0.5) within group (order by duration_ms) as median_ms,
				count(*) filter (where known_answer is null and choice in ('a', 'b')) as ab_votes,
				count(*) filter (where known_answer is null and left_pick) as left_picks,
				count(*) filter (where known_answer is not null) as check_answers,
				count(*) filter (where known_answer is not null and choice = known_answer) as check_correct,
				coalesce(max(s.mode), 0) as strength_mode
			from v left join strengths s on s.annotator_id = v.annotator_id
			group by v.annotator_id`)
	);
	return new Map(
		rows.map((r) => [
			String(r.annotator_id),
			{
				votes: int(r.votes),
				ties: int(r.ties),
				offs: int(r.offs),
				medianMs: r.median_ms === null ? null : Math.round(Number(r.median_ms)),
				abVotes: int(r.ab_votes),
				leftPicks: int(r.left_picks),
				checkAnswers: int(r.check_answers),
				checkCorrect: int(r.check_correct),
				strengthMode: int(r.strength_mode)
			}
		])
	);
}

/**
 * Leave-one-out agreement: for each vote on a pair (no known answer) with
 * other votes, the others' majority is the unique most frequent answer among
 * them; a vote whose others tie is left out. Per pair the four answer counts
 * are enough: the others' count of an answer is the pair's minus this vote.
 */
async function leaveOneOut(db: DbOrTx, personaId: string): Promise<Map<string, { sharedPairs: number; agreements: number }>> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			with v as (${personaVotes(personaId)}),
			counts as (
				select pair_id,
					count(*) filter (where choice = 'a') as na, count(*) filter (where choice = 'b') as nb,
					count(*) filter (where choice = 'tie') as nt, count(*) filter (where choice = 'both_off_persona') as no
				from v where known_answer is null group by pair_id having count(*) >= 2
			),
			others as (
				select v.annotator_id, v.choice,
					c.na - (v.choice = 'a')::int as oa, c.nb - (v.choice = 'b')::int as ob,
					c.nt - (v.choice = 'tie')::int as ot, c.no - (v.choice = 'both_off_persona')::int as oo
				from v join counts c on c.pair_id = v.pair_id
			),
			majority as (
				select annotator_id, choice, oa, ob, ot, oo, greatest(oa, ob, ot, oo) as top from others
			)
			select annotator_id,
				count(*) filter (where (oa = top)::int + (ob = top)::int + (ot = top)::int + (oo = top)::int = 1) as shared,
				count(*) filter (where (oa = top)::int + (ob = top)::int + (ot = top)::int + (oo = top)::int = 1
					and top = case choice when 'a' then oa when 'b' then ob when 'tie' then ot else oo end) as agreed
			from majority group by annotator_id`)
	);
	return new Map(rows.map((r) => [String(r.annotator_id), { sharedPairs: int(r.shared), agreements: int(r.agreed) }]));
}

/**
 * Fast votes (quicker than reading both replies at `maxWordsPerSecond`, from
 * the stored word counts, summed once per pair) and the longest run of one
 * answer in time order: a vote whose answer differs from the one before
 * starts a run, and a running count of starts numbers the runs. Both windows
 * share one order, so the votes are sorted once.
 */
async function speedAndRuns(db: DbOrTx, personaId: string, maxWordsPerSecond: number): Promise<Map<string, { fastVotes: number; longestRun: number }>> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			with reading as (
				select p.id as pair_id, ca.words + cb.words as words
				from pair p join candidate ca on ca.id = p.candidate_a_id join candidate cb on cb.id = p.candidate_b_id
				where p.persona_id = ${personaId}
			),
			marked as (
				select j.annotator_id, j.created_at, j.id,
					j.duration_ms < r.words * 1000.0 / ${maxWordsPerSecond} as fast,
					(j.choice is distinct from lag(j.choice) over votes)::int as starts
				from judgment j join reading r on r.pair_id = j.pair_id
				window votes as (partition by j.annotator_id order by j.created_at, j.id)
			),
			numbered as (
				select annotator_id, fast, sum(starts) over (partition by annotator_id order by created_at, id) as run from marked
			),
			runs as (select annotator_id, run, count(*) as length, count(*) filter (where fast) as fast from numbered group by annotator_id, run)
			select annotator_id, sum(fast) as fast_votes, max(length) as longest_run from runs group by annotator_id`)
	);
	return new Map(rows.map((r) => [String(r.annotator_id), { fastVotes: int(r.fast_votes), longestRun: int(r.longest_run) }]));
}

/** Every annotator who voted on the persona's pairs, with their counts. */
export async function annotatorCounts(db: DbOrTx, personaId: string, maxWordsPerSecond: number): Promise<AnnotatorCounts[]> {
	const base = await totals(db, personaId);
	const loo = await leaveOneOut(db, personaId);
	const speed = await speedAndRuns(db, personaId, maxWordsPerSecond);
	return [...base].map(([annotatorId, counts]) => ({
		annotatorId,
		...(counts as Omit<AnnotatorCounts, 'annotatorId' | 'sharedPairs' | 'agreements' | 'fastVotes' | 'longestRun'>),
		sharedPairs: loo.get(annotatorId)?.sharedPairs ?? 0,
		agreements: loo.get(annotatorId)?.agreements ?? 0,
		fastVotes: speed.get(annotatorId)?.fastVotes ?? 0,
		longestRun: speed.get(annotatorId)?.longestRun ?? 0
	}));
}
