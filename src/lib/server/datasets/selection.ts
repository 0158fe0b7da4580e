import { sql, type SQL } from 'drizzle-orm';
import { judgmentExclusions } from './quality-filters';
import type { DatasetSpec } from './spec';

/**
 * What a definition selects, as SQL: the judgments it takes and the
 * preference rows they make. `freeze.ts` inserts these rows into a version;
 * the dataset page's preview counts them, so "what the next version will
 * contain" is computed by the same query that will contain it.
 *
 * Gold checks (pairs with a known answer) never make a preference row: their
 * judgments are kept only as votes, flagged with the expected answer.
 */

export type SelectionInput = { personaId: string; spec: DatasetSpec; undoSeconds: number };

const asJsonSet = (values: string[]): SQL => sql`(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;

/** `test` for a stable share of prompts, keyed by the split seed: a prompt never lands in both splits. */
export function splitOf(promptId: SQL, spec: DatasetSpec): SQL {
	const bucket = sql`(('x' || substr(md5(${spec.split.seed} || ':' || ${promptId}::text), 1, 8))::bit(32)::bigint % 10000)`;
	return sql`(case when ${bucket} < ${spec.split.testPercent * 100} then 'test' else 'train' end)`;
}

/** The spec's filters for a row made at `madeAt` about a prompt `p`, by `personId`, leaving out `excluded` people. */
export function commonFilters(spec: DatasetSpec, madeAt: SQL, personId: SQL, excluded: string[] = spec.filters.excludeAnnotatorIds): SQL {
	const f = spec.filters;
	const parts: SQL[] = [sql`true`];
	if (f.from) parts.push(sql`${madeAt} >= ${f.from}::date`);
	if (f.to) parts.push(sql`${madeAt} < ${f.to}::date + 1`);
	if (f.domains.length) parts.push(sql`p.domain in ${asJsonSet(f.domains)}`);
	if (excluded.length) parts.push(sql`${personId}::text not in ${asJsonSet(excluded)}`);
	return sql.join(parts, sql` and `);
}

export function modelFilter(spec: DatasetSpec, ...modelVersionIds: SQL[]): SQL {
	const ids = spec.filters.modelVersionIds;
	if (!ids.length) return sql`true`;
	return sql.join(
		modelVersionIds.map((id) => sql`${id}::text in ${asJsonSet(ids)}`),
		sql` and `
	);
}

/** A prompt whose every pair is a gold check: its prompt and SFT rows would come from checks only. */
export function checkOnlyPrompt(promptId: SQL): SQL {
	return sql`(exists (select 1 from pair x where x.prompt_id = ${promptId} and x.known_answer is not null)
		and not exists (select 1 from pair x where x.prompt_id = ${promptId} and x.known_answer is null))`;
}

/**
 * Judgments that pass the filters and can no longer be undone, with their pair and its
 * known answer; `withoutQuality` keeps the annotators the quality filters leave out (the preview counts them).
 */
export function eligibleJudgments(input: SelectionInput, options: { withoutQuality?: boolean } = {}): SQL {
	const { spec } = input;
	const excluded = options.withoutQuality ? spec.filters.excludeAnnotatorIds : judgmentExclusions(spec);
	return sql`
		select j.id, j.annotator_id, j.pair_id, j.choice, j.strength, pa.prompt_id, pa.candidate_a_id, pa.candidate_b_id, pa.known_answer
		from judgment j
		join pair pa on pa.id = j.pair_id
		join prompt p on p.id = pa.prompt_id
		join candidate ca on ca.id = pa.candidate_a_id
		join candidate cb on cb.id = pa.candidate_b_id
		where pa.persona_id = ${input.personaId}
			and j.created_at <= now() - make_interval(secs => ${input.undoSeconds})
			and ${commonFilters(spec, sql`j.created_at`, sql`j.annotator_id`, excluded)}
			and ${modelFilter(spec, sql`ca.model_version_id`, sql`cb.model_version_id`)}
			and ${evaluationFilter(spec, sql`pa.evaluation_round_id`)}`;
}

/** Evaluation pairs (a round's) stay out of training data unless the definition asks for them. */
export function evaluationFilter(spec: DatasetSpec, roundId: SQL): SQL {
	return spec.filters.includeEvaluation ? sql`true` : sql`${roundId} is null`;
}

/** Prompts typed in arena mode stay out with the evaluation votes they came with. */
export function arenaPromptFilter(spec: DatasetSpec, source: SQL): SQL {
	return spec.filters.includeEvaluation ? sql`true` : sql`${source} <> 'arena'`;
}

/** Margin of one vote of strength `s` (1–4) from the spec's table. */
function marginOf(strength: SQL, spec: DatasetSpec): SQL {
	return sql`((${JSON.stringify(spec.margin.byStrength)}::jsonb ->> (${strength} - 1)::int)::float8)`;
}

/** Per pair that is not a check: votes for a and for b, summed strength, mean margins. */
function pairVotes(spec: DatasetSpec): SQL {
	return sql`
		select pair_id, prompt_id, candidate_a_id, candidate_b_id,
			count(*)::int as total,
			count(*) filter (where choice = 'a')::int as a_votes,
			count(*) filter (where choice = 'b')::int as b_votes,
			coalesce(sum(strength) filter (where choice = 'a'), 0)::int as a_strength,
			coalesce(sum(strength) filter (where choice = 'b'), 0)::int as b_strength,
			avg(${marginOf(sql`strength`, spec)}) filter (where choice = 'a') as a_margin,
			avg(${marginOf(sql`strength`, spec)}) filter (where choice = 'b') as b_margin
		from eligible where known_answer is null
		group by pair_id, prompt_id, candidate_a_id, candidate_b_id`;
}

function winnerOf(spec: DatasetSpec): SQL {
	const byStrength =
		spec.aggregation.ties === 'strength'
			? sql`when a_votes > 0 and a_strength > b_strength then 'a' when b_votes > 0 and b_strength > a_strength then 'b'`
			: sql``;
	return sql`(case when a_votes > b_votes then 'a' when b_votes > a_votes then 'b' ${byStrength} end)`;
}

function fromJudgments(spec: DatasetSpec): SQL {
	const margins = spec.margin.enabled;
	const agreement = sql`(total <= 1 or greatest(a_votes, b_votes)::float8 / total >= ${spec.filters.minAgreement})`;
	if (spec.aggregation.mode === 'majority')
		return sql`
			select 'judgment' as source, v.prompt_id, v.pair_id, null::uuid as judgment_id, null::uuid as gold_example_id, null::uuid as gold_revision_id,
				case when winner = 'a' then candidate_a_id else candidate_b_id end as chosen,
				case when winner = 'a' then candidate_b_id else candidate_a_id end as rejected,
				${margins ? sql`case when winner = 'a' then a_margin else b_margin end` : sql`null::float8`} as margin,
				(case when winner = 'a' then a_votes else b_votes end)::smallint as votes_for, total::smallint as votes_total
			from (select *, ${winnerOf(spec)} as winner from votes) v
			where winner is not null and ${agreement}`;
	return sql`
		select 'judgment' as source, e.prompt_id, e.pair_id, e.id as judgment_id, null::uuid as gold_example_id,
			null::uuid as gold_revision_id,
			case when e.choice = 'a' then e.candidate_a_id else e.candidate_b_id end as chosen,
			case when e.choice = 'a' then e.candidate_b_id else e.candidate_a_id end as rejected,
			${margins ? marginOf(sql`e.strength`, spec) : sql`null::float8`} as margin,
			null::smallint as votes_for, v.total::smallint as votes_total
		from eligible e join votes v on v.pair_id = e.pair_id
		where e.choice in ('a', 'b') and ${agreement}`;
}

function fromGold(input: SelectionInput): SQL {
	const { spec } = input;
	if (!spec.filters.includeGoldEdits) return sql``;
	return sql`
		union all
		select 'gold_edit', g.prompt_id, null, null, g.gold_example_id, g.gold_revision_id, null, g.rejected_candidate_id,
			${spec.margin.enabled ? sql`${spec.margin.goldEdit}::float8` : sql`null::float8`}, null, null
		from gold_preference g join prompt p on p.id = g.prompt_id
		where g.persona_id = ${input.personaId}
			and ${commonFilters(spec, sql`g.approved_at`, sql`g.author_id`)}
			and ${modelFilter(spec, sql`g.rejected_model_version_id`)}
			and not ${checkOnlyPrompt(sql`g.prompt_id`)}`;
}

/** A `with` clause ending in `split_rows`: every preference row the spec makes, with its split. */
export function preferenceRows(input: SelectionInput): SQL {
	return sql`
		with eligible as (${eligibleJudgments(input)}),
		votes as (${pairVotes(input.spec)}),
		chosen_rows as (${fromJudgments(input.spec)} ${fromGold(input)}),
		split_rows as (select r.*, ${splitOf(sql`r.prompt_id`, input.spec)} as split from chosen_rows r)`;
}
