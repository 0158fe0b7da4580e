import { sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../db';
import { arenaPromptFilter, checkOnlyPrompt, commonFilters, eligibleJudgments, preferenceRows, splitOf, type SelectionInput } from './selection';

/**
 * Freezes what a version holds: every row is chosen, aggregated, split and
 * numbered by the database in the publishing transaction, and written to
 * `dataset_version_row` with its outcome (winner, margin, revision). Files
 * are then rendered from these rows only, so "v3" means the same data
 * however many votes arrive later, and a retried publish writes the same bytes.
 *
 * Rows of one kind are numbered train first, then test, in a stable order, so
 * each file is one contiguous range of the primary key. What is selected is
 * defined in ./selection.ts; gold checks are votes only, each frozen with its
 * expected answer.
 */

export type FreezeInput = SelectionInput & { versionId: string };

async function freezePreferences(tx: Tx, input: FreezeInput): Promise<void> {
	await tx.execute(sql`
		${preferenceRows(input)}
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
				and not ${checkOnlyPrompt(sql`a.prompt_id`)}
		)
		insert into dataset_version_row (dataset_version_id, kind, position, split, prompt_id, gold_example_id, gold_revision_id)
		select ${input.versionId}, 'sft', (row_number() over (order by split desc, prompt_id, gold_example_id) - 1)::int,
			split, prompt_id, gold_example_id, revision_id
		from (select a.*, ${splitOf(sql`a.prompt_id`, spec)} as split from approved a) s`);
}

/** Prompt-only rows for PPO: every prompt of the persona in the chosen domains, but those only checks were made of. */
async function freezePrompts(tx: Tx, input: FreezeInput): Promise<void> {
	const { spec } = input;
	const domains = spec.filters.domains.length
		? sql`p.domain in (select jsonb_array_elements_text(${JSON.stringify(spec.filters.domains)}::jsonb))`
		: sql`true`;
	await tx.execute(sql`
		insert into dataset_version_row (dataset_version_id, kind, position, split, prompt_id)
		select ${input.versionId}, 'prompt', (row_number() over (order by split desc, id) - 1)::int, split, id
		from (select p.id, ${splitOf(sql`p.id`, spec)} as split from prompt p
			where p.persona_id = ${input.personaId} and ${domains} and not ${checkOnlyPrompt(sql`p.id`)}
				and ${arenaPromptFilter(spec, sql`p.source`)}) s`);
}

/** Every individual judgment that passed the filters, whatever aggregation made of it; a check's with its expected answer. */
async function freezeVotes(tx: Tx, input: FreezeInput): Promise<void> {
	await tx.execute(sql`
		with eligible as (${eligibleJudgments(input)})
		insert into dataset_version_row (dataset_version_id, kind, position, split, prompt_id, pair_id, judgment_id, known_answer)
		select ${input.versionId}, 'vote', (row_number() over (order by split desc, prompt_id, pair_id, id) - 1)::int,
			split, prompt_id, pair_id, id, known_answer
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
