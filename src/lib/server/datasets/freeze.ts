import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Tx } from '../db';
import type { DatasetSpec } from './spec';

/**
 * Freezes what a version holds: every row is chosen, aggregated, split and
 * numbered by the database in the publishing transaction, and written to
 * `dataset_version_row` with its outcome (winner, margin, revision). Files
 * are then rendered from these rows only, so "v3" means the same data
 * however many votes arrive later, and a retried publish writes the same bytes.
 *
 * Rows of one kind are numbered train first, then test, in a stable order, so
 * each file is one contiguous range of the primary key.
 */

export type FreezeInput = { versionId: string; personaId: string; spec: DatasetSpec; undoSeconds: number };

/** `test` for a stable share of prompts, keyed by the split seed: a prompt never lands in both splits. */
function splitOf(promptId: SQL, spec: DatasetSpec): SQL {
	const bucket = sql`(('x' || substr(md5(${spec.split.seed} || ':' || ${promptId}::text), 1, 8))::bit(32)::bigint % 10000)`;
	return sql`(case when ${bucket} < ${spec.split.testPercent * 100} then 'test' else 'train' end)`;
}

/** The spec's filters for a row made at `madeAt` about a prompt `p`, by `personId`. */
function commonFilters(spec: DatasetSpec, madeAt: SQL, personId: SQL): SQL {
	const f = spec.filters;
	const parts: SQL[] = [sql`true`];
	if (f.from) parts.push(sql`${madeAt} >= ${f.from}::date`);
	if (f.to) parts.push(sql`${madeAt} < ${f.to}::date + 1`);
	if (f.domains.length) parts.push(sql`p.domain in (select jsonb_array_elements_text(${JSON.stringify(f.domains)}::jsonb))`);
	if (f.excludeAnnotatorIds.length)
		parts.push(sql`${personId}::text not in (select jsonb_array_elements_text(${JSON.stringify(f.excludeAnnotatorIds)}::jsonb))`);
	return sql.join(parts, sql` and `);
}

function modelFilter(spec: DatasetSpec, ...modelVersionIds: SQL[]): SQL {
	const ids = spec.filters.modelVersionIds;
	if (!ids.length) return sql`true`;
	const set = sql`(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;
	return sql.join(
		modelVersionIds.map((id) => sql`${id}::text in ${set}`),
		sql` and `
	);
}

/** Judgments that pass the filters and can no longer be undone, with their pair. */
function eligibleJudgments(input: FreezeInput): SQL {
	const { spec } = input;
	return sql`
		select j.id, j.pair_id, j.choice, j.strength, pa.prompt_id, pa.candidate_a_id, pa.candidate_b_id
		from judgment j
		join pair pa on pa.id = j.pair_id
		join prompt p on p.id = pa.prompt_id
		join candidate ca on ca.id = pa.candidate_a_id
		join candidate cb on cb.id = pa.candidate_b_id
		where pa.persona_id = ${input.personaId}
			and j.created_at <= now() - make_interval(secs => ${input.undoSeconds})
			and ${commonFilters(spec, sql`j.created_at`, sql`j.annotator_id`)}
			and ${modelFilter(spec, sql`ca.model_version_id`, sql`cb.model_version_id`)}`;
}

/** Margin of one vote of strength `s` (1–4) from the spec's table. */
function marginOf(strength: SQL, spec: DatasetSpec): SQL {
	return sql`((${JSON.stringify(spec.margin.byStrength)}::jsonb ->> (${strength} - 1)::int)::float8)`;
}

/** Per pair: votes for a and for b, summed strength, mean margins, and whether it clears min agreement. */
function pairVotes(input: FreezeInput): SQL {
	const { spec } = input;
	return sql`
		select pair_id, prompt_id, candidate_a_id, candidate_b_id,
			count(*)::int as total,
			count(*) filter (where choice = 'a')::int as a_votes,
			count(*) filter (where choice = 'b')::int as b_votes,
			coalesce(sum(strength) filter (where choice = 'a'), 0)::int as a_strength,
			coalesce(sum(strength) filter (where choice = 'b'), 0)::int as b_strength,
			avg(${marginOf(sql`strength`, spec)}) filter (where choice = 'a') as a_margin,
			avg(${marginOf(sql`strength`, spec)}) filter (where choice = 'b') as b_margin
		from eligible group by pair_id, prompt_id, candidate_a_id, candidate_b_id`;
}

function winnerOf(spec: DatasetSpec): SQL {
	const byStrength =
		spec.aggregation.ties === 'strength'
			? sql`when a_votes > 0 and a_strength > b_strength then 'a' when b_votes > 0 and b_strength > a_strength then 'b'`
			: sql``;
	return sql`(case when a_votes > b_votes then 'a' when b_votes > a_votes then 'b' ${byStrength} end)`;
}

async function freezePreferences(tx: Tx, input: FreezeInput): Promise<void> {
	const { spec } = input;
	const margins = spec.margin.enabled;
	const agreement = sql`(total <= 1 or greatest(a_votes, b_votes)::float8 / total >= ${spec.filters.minAgreement})`;
	const fromJudgments =
		spec.aggregation.mode === 'majority'
			? sql`
				select 'judgment' as source, v.prompt_id, v.pair_id, null::uuid as judgment_id, null::uuid as gold_example_id, null::uuid as gold_revision_id,
					case when winner = 'a' then candidate_a_id else candidate_b_id end as chosen,
					case when winner = 'a' then candidate_b_id else candidate_a_id end as rejected,
					${margins ? sql`case when winner = 'a' then a_margin else b_margin end` : sql`null::float8`} as margin,
					(case when winner = 'a' then a_votes else b_votes end)::smallint as votes_for, total::smallint as votes_total
				from (select *, ${winnerOf(spec)} as winner from votes) v
				where winner is not null and ${agreement}`
			: sql`
				select 'judgment' as source, e.prompt_id, e.pair_id, e.id as judgment_id, null::uuid as gold_example_id,
					null::uuid as gold_revision_id,
					case when e.choice = 'a' then e.candidate_a_id else e.candidate_b_id end as chosen,
					case when e.choice = 'a' then e.candidate_b_id else e.candidate_a_id end as rejected,
					${margins ? marginOf(sql`e.strength`, spec) : sql`null::float8`} as margin,
					null::smallint as votes_for, v.total::smallint as votes_total
				from eligible e join votes v on v.pair_id = e.pair_id
				where e.choice in ('a', 'b') and ${agreement}`;
	const fromGold = spec.filters.includeGoldEdits
		? sql`
			union all
			select 'gold_edit', g.prompt_id, null, null, g.gold_example_id, g.gold_revision_id, null, g.rejected_candidate_id,
				${margins ? sql`${spec.margin.goldEdit}::float8` : sql`null::float8`}, null, null
			from gold_preference g join prompt p on p.id = g.prompt_id
			where g.persona_id = ${input.personaId}
				and ${commonFilters(spec, sql`g.approved_at`, sql`g.author_id`)}
				and ${modelFilter(spec, sql`g.rejected_model_version_id`)}`
		: sql``;
	await tx.execute(sql`
		with eligible as (${eligibleJudgments(input)}),
		votes as (${pairVotes(input)}),
		chosen_rows as (${fromJudgments} ${fromGold}),
		split_rows as (select r.*, ${splitOf(sql`r.prompt_id`, spec)} as split from chosen_rows r)
		insert into dataset_version_row (dataset_version_id, kind, position, split, source, prompt_id, pair_id, judgment_id,
			gold_example_id, gold_revision_id, chosen_candidate_id, rejected_candidate_id, margin, votes_for, votes_total)
		select ${input.versionId}, 'preference',
			(row_number() over (order by split desc, prompt_id, source, pair_id, judgment_id, gold_example_id) - 1)::int,
			split, source, prompt_id, pair_id, judgment_id, gold_example_id, gold_revision_id, chosen, rejected, margin, votes_for, votes_total
		from split_rows`);
}

/** Approved gold examples, each at the revision a reviewer approved last. */
async function freezeSft(tx: Tx, input: FreezeInput): Promise<void> {
	const { spec } = input;
	await tx.execute(sql`
		with approved as (
			select a.gold_example_id, a.prompt_id, a.gold_revision_id as revision_id
			from gold_approved a join prompt p on p.id = a.prompt_id
			where a.persona_id = ${input.personaId} and ${commonFilters(spec, sql`a.approved_at`, sql`a.author_id`)}
		)
		insert into dataset_version_row (dataset_version_id, kind, position, split, prompt_id, gold_example_id, gold_revision_id)
		select ${input.versionId}, 'sft', (row_number() over (order by split desc, prompt_id, gold_example_id) - 1)::int,
			split, prompt_id, gold_example_id, revision_id
		from (select a.*, ${splitOf(sql`a.prompt_id`, spec)} as split from approved a) s`);
}

/** Prompt-only rows for PPO: every prompt of the persona in the chosen domains. */
async function freezePrompts(tx: Tx, input: FreezeInput): Promise<void> {
	const { spec } = input;
	const domains = spec.filters.domains.length
		? sql`p.domain in (select jsonb_array_elements_text(${JSON.stringify(spec.filters.domains)}::jsonb))`
		: sql`true`;
	await tx.execute(sql`
		insert into dataset_version_row (dataset_version_id, kind, position, split, prompt_id)
		select ${input.versionId}, 'prompt', (row_number() over (order by split desc, id) - 1)::int, split, id
		from (select p.id, ${splitOf(sql`p.id`, spec)} as split from prompt p where p.persona_id = ${input.personaId} and ${domains}) s`);
}

/** Every individual judgment that passed the filters, whatever aggregation made of it. */
async function freezeVotes(tx: Tx, input: FreezeInput): Promise<void> {
	await tx.execute(sql`
		with eligible as (${eligibleJudgments(input)})
		insert into dataset_version_row (dataset_version_id, kind, position, split, prompt_id, pair_id, judgment_id)
		select ${input.versionId}, 'vote', (row_number() over (order by split desc, prompt_id, pair_id, id) - 1)::int,
			split, prompt_id, pair_id, id
		from (select e.*, ${splitOf(sql`e.prompt_id`, input.spec)} as split from eligible e) s`);
}

export type FrozenCounts = Record<'preference' | 'sft' | 'prompt' | 'vote', { train: number; test: number }>;

/** Writes the version's rows; returns how many of each kind went to each split. */
export async function freezeRows(tx: Tx, input: FreezeInput): Promise<FrozenCounts> {
	const { contents } = input.spec;
	if (contents.preferences) {
		await freezePreferences(tx, input);
		await freezeVotes(tx, input);
	}
	if (contents.sft) await freezeSft(tx, input);
	if (contents.prompts) await freezePrompts(tx, input);
	return countRows(tx, input.versionId);
}

export async function countRows(tx: Tx | import('../db').Db, versionId: string): Promise<FrozenCounts> {
	const result = await tx.execute(sql`
		select kind, split, count(*)::int as rows from dataset_version_row
		where dataset_version_id = ${versionId} group by kind, split`);
	const counts: FrozenCounts = {
		preference: { train: 0, test: 0 },
		sft: { train: 0, test: 0 },
		prompt: { train: 0, test: 0 },
		vote: { train: 0, test: 0 }
	};
	for (const row of rowsOf<{ kind: keyof FrozenCounts; split: 'train' | 'test'; rows: number }>(result))
		counts[row.kind][row.split] = Number(row.rows);
	return counts;
}
