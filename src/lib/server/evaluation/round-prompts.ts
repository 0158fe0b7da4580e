import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';
import { FieldError } from '../errors';

/**
 * Which prompts a round asks its models about. A model must not be judged on
 * prompts it was trained on, so they come from the test split of the dataset
 * version that trained the candidate (model_version → its PPO run →
 * training_run.dataset_version_id → dataset_version_row with split 'test'). A
 * candidate registered by hand has no such version: then any prompt of the
 * persona serves that none of the round's models was trained on. A prompt in
 * the candidate's train split is refused in SQL as well (so no caller can
 * forget it), and so are gold-check prompts (annotators know those) and
 * prompts typed in arena mode (they belong to the arena's own rounds).
 *
 * From a test split, a prompt the *baseline* was trained on may be drawn:
 * versions trained with other split seeds would otherwise leave nothing to
 * draw, and such a prompt can only favour the baseline, so a "better" verdict
 * stays on the safe side.
 */

export type RoundPrompts = {
	promptIds: string[];
	promptSource: 'test_split' | 'prompts';
	datasetVersionId: string | null;
};

export type TrainingVersion = { id: string; version: number; datasetName: string };

/** The dataset version whose PPO run produced this model, if it was trained here. */
export async function trainingVersionOf(db: DbOrTx, modelVersionId: string): Promise<TrainingVersion | null> {
	const [found] = rowsOf<{ id: string; version: number; dataset_name: string }>(
		await db.execute(sql`
			select dv.id, dv.version, d.name as dataset_name
			from model_version m
			join training_run r on r.id = m.training_run_id
			join dataset_version dv on dv.id = r.dataset_version_id
			join dataset d on d.id = dv.dataset_id
			where m.id = ${modelVersionId}`)
	);
	return found ? { id: found.id, version: Number(found.version), datasetName: found.dataset_name } : null;
}

/** Prompts in the train split of any version that trained one of these models. */
function trainedOn(modelVersionIds: readonly string[]): SQL {
	return sql`(select t.prompt_id from dataset_version_row t
		join training_run r on r.dataset_version_id = t.dataset_version_id
		join model_version m on m.training_run_id = r.id
		where t.split = 'train' and t.prompt_id is not null
			and m.id in (select jsonb_array_elements_text(${JSON.stringify(modelVersionIds)}::jsonb)::uuid))`;
}

/** Prompts a round may use: not trained on, no gold check, not typed in the arena. */
function usable(modelVersionIds: readonly string[]): SQL {
	return sql`p.source <> 'arena'
		and not exists (select 1 from pair x where x.prompt_id = p.id and x.known_answer is not null)
		and p.id not in ${trainedOn(modelVersionIds)}`;
}

/**
 * Up to `limit` prompts of the test split of `version` (trainingVersionOf
 * the candidate), or of the persona when it has none, drawn at random but
 * seeded by the round's id (the order is md5(round id, prompt id)): the same
 * round always draws the same.
 */
export async function drawRoundPrompts(
	db: DbOrTx,
	round: { id: string; personaId: string; candidateId: string; modelVersionIds: readonly string[]; limit: number },
	version: TrainingVersion | null
): Promise<RoundPrompts> {
	const from = version
		? sql`from prompt p where p.persona_id = ${round.personaId} and p.id in (
				select s.prompt_id from dataset_version_row s where s.dataset_version_id = ${version.id} and s.split = 'test' and s.prompt_id is not null)`
		: sql`from prompt p where p.persona_id = ${round.personaId}`;
	const promptIds = rowsOf<{ id: string }>(
		await db.execute(sql`
			select p.id ${from} and ${usable(version ? [round.candidateId] : round.modelVersionIds)}
			order by md5(${round.id}::text || p.id::text), p.id
			limit ${round.limit}`)
	).map((r) => r.id);
	if (promptIds.length === 0)
		throw new FieldError(
			'prompts',
			version
				? `Version ${version.version} of "${version.datasetName}" trained the candidate, and its test split holds no prompt to draw (none, or only gold checks): publish a version that holds out a test share, train on it, and evaluate that candidate.`
				: 'Every prompt of this persona was used to train one of these models, is a gold check or was typed in the arena: import new prompts to evaluate on.'
		);
	return { promptIds, promptSource: version ? 'test_split' : 'prompts', datasetVersionId: version?.id ?? null };
}
