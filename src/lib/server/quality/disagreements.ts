import { eq, inArray, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { rowsOf, type DbOrTx } from '../db';
import { candidate, judgment, pair, prompt, type Choice } from '../db/schema';
import { pagingFields } from '../listing';

export const DISAGREEMENTS_PER_PAGE = 10;

/** The drill-down's URL: only the page; a bad value is the first page. */
export const disagreementQuerySchema = z.preprocess(
	(input) => (input instanceof URLSearchParams ? Object.fromEntries(input) : {}),
	z.object({ page: pagingFields.page })
);

export type VoteSplit = Record<Choice, number>;

export type Disagreement = {
	pairId: string;
	/** The pair is a check (known answer): the admin sees it, annotators never do. */
	knownAnswer: Choice | null;
	prompt: string;
	replyA: string;
	replyB: string;
	mine: Choice;
	strength: number | null;
	/** The others' answer: the most given one among them, when one answer leads alone. */
	majority: Choice;
	/** Every vote on the pair, this annotator's included. */
	split: VoteSplit;
	judgedAt: Date;
};

/**
 * The annotator's judgments where the others on the same pair lean another
 * way (their most given answer leads alone and is not this annotator's),
 * newest first, one page. Finding them reads only this annotator's pairs; the
 * vote splits, prompts and replies are read for the page's pairs alone.
 */
export async function listDisagreements(
	db: DbOrTx,
	personaId: string,
	annotatorId: string,
	page: number
): Promise<{ rows: Disagreement[]; total: number }> {
	const found = rowsOf<{ pair_id: string; mine: Choice; strength: number | null; majority: Choice; judged_at: Date | string; total: number | string }>(
		await db.execute(sql`
			with mine as (
				select j.pair_id, j.choice, j.strength, j.created_at
				from ${judgment} j join ${pair} p on p.id = j.pair_id
				where j.annotator_id = ${annotatorId} and p.persona_id = ${personaId}
			), others as (
				select o.pair_id, o.choice, count(*) as n,
					rank() over (partition by o.pair_id order by count(*) desc) as place
				from ${judgment} o join mine m on m.pair_id = o.pair_id
				where o.annotator_id <> ${annotatorId}
				group by o.pair_id, o.choice
			), majority as (
				select pair_id, min(choice) as choice from others where place = 1 group by pair_id having count(*) = 1
			)
			select m.pair_id, m.choice as mine, m.strength, maj.choice as majority, m.created_at as judged_at, count(*) over () as total
			from mine m join majority maj on maj.pair_id = m.pair_id
			where maj.choice <> m.choice
			order by m.created_at desc, m.pair_id
			limit ${DISAGREEMENTS_PER_PAGE} offset ${(page - 1) * DISAGREEMENTS_PER_PAGE}
		`)
	);
	const total = Number(found[0]?.total ?? 0);
	if (found.length === 0) return { rows: [], total };
	const ids = found.map((row) => row.pair_id);
	const [details, splits] = await Promise.all([pairDetails(db, ids), voteSplits(db, ids)]);
	const rows = found.map((row) => {
		const detail = details.get(row.pair_id);
		return {
			pairId: row.pair_id,
			knownAnswer: detail?.knownAnswer ?? null,
			prompt: detail?.prompt ?? '',
			replyA: detail?.replyA ?? '',
			replyB: detail?.replyB ?? '',
			mine: row.mine,
			strength: row.strength === null ? null : Number(row.strength),
			majority: row.majority,
			split: splits.get(row.pair_id) ?? emptySplit(),
			judgedAt: new Date(row.judged_at)
		};
	});
	return { rows, total };
}

const emptySplit = (): VoteSplit => ({ a: 0, b: 0, tie: 0, both_off_persona: 0 });

async function voteSplits(db: DbOrTx, pairIds: string[]): Promise<Map<string, VoteSplit>> {
	const tallies = await db
		.select({ pairId: judgment.pairId, choice: judgment.choice, votes: sql<number>`count(*)`.mapWith(Number) })
		.from(judgment)
		.where(inArray(judgment.pairId, pairIds))
		.groupBy(judgment.pairId, judgment.choice);
	const splits = new Map<string, VoteSplit>();
	for (const tally of tallies) {
		const split = splits.get(tally.pairId) ?? emptySplit();
		split[tally.choice] = tally.votes;
		splits.set(tally.pairId, split);
	}
	return splits;
}

async function pairDetails(db: DbOrTx, pairIds: string[]) {
	const a = alias(candidate, 'a');
	const b = alias(candidate, 'b');
	const rows = await db
		.select({
			pairId: pair.id,
			knownAnswer: pair.knownAnswer,
			prompt: sql<string>`${prompt.messages} -> -1 ->> 'content'`,
			replyA: a.text,
			replyB: b.text
		})
		.from(pair)
		.innerJoin(prompt, eq(prompt.id, pair.promptId))
		.innerJoin(a, eq(a.id, pair.candidateAId))
		.innerJoin(b, eq(b.id, pair.candidateBId))
		.where(inArray(pair.id, pairIds));
	return new Map(rows.map((row) => [row.pairId, row]));
}
