import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { modelVersion } from '../db/schema';
import { FieldError } from '../errors';
import { previousVersion } from '../models/registry';
import type { SamplingSpec } from './spec';

/** One reply a job asks for per prompt: its name within the prompt, the model, the parameters. */
export type Slot = { slot: string; modelVersionId: string; params: Record<string, unknown> };

type SlotModel = { id: string; kind: string; defaultParams: Record<string, unknown> };

const columns = { id: modelVersion.id, kind: modelVersion.kind, defaultParams: modelVersion.defaultParams };

async function currentAndPrevious(db: DbOrTx, personaId: string): Promise<{ current: SlotModel; previous: SlotModel | null }> {
	const [current] = await db
		.select(columns)
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.status, 'current')));
	if (!current) throw new FieldError('model', 'No model is current for this persona: make one current on the Models page first.');
	if (current.kind !== 'endpoint')
		throw new FieldError('model', 'The current model is the demo pool of pre-written replies: register a model server and make it current first.');
	return { current, previous: await previousVersion(db, personaId) };
}

/** The model's own defaults (top_p, …), then what this job sets; a seed comes from the slot, not the defaults. */
function paramsFor(model: SlotModel, spec: SamplingSpec, temperature: number): Record<string, unknown> {
	const { seed: _seed, ...defaults } = model.defaultParams;
	return { ...defaults, max_tokens: spec.maxTokens, temperature };
}

/**
 * The chosen models, in the order given. Slots are named by position, never by
 * model: a slot is stored with each reply, and evaluation pairs must stay blind.
 */
async function modelSlots(db: DbOrTx, personaId: string, spec: SamplingSpec, ids: string[], temperature: number): Promise<Slot[]> {
	const found = await db
		.select(columns)
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, personaId), inArray(modelVersion.id, ids)));
	const byId = new Map(found.map((m) => [m.id, m]));
	return ids.map((id, i) => {
		const model = byId.get(id);
		if (!model) throw new FieldError('modelVersionIds', 'Every model must be a model version of this persona.');
		if (model.kind !== 'endpoint') throw new FieldError('modelVersionIds', 'Only model servers can be sampled: the demo pool and approved gold edits have nothing to ask.');
		return { slot: `model=${i + 1}`, modelVersionId: id, params: paramsFor(model, spec, temperature) };
	});
}

export async function slotsOf(db: DbOrTx, personaId: string, spec: SamplingSpec): Promise<Slot[]> {
	const strategy = spec.strategy;
	if (strategy.kind === 'models') return modelSlots(db, personaId, spec, strategy.modelVersionIds, strategy.temperature);
	const models = await currentAndPrevious(db, personaId);
	if (strategy.kind === 'temperatures')
		return strategy.temperatures.map((t) => ({ slot: `t=${t}`, modelVersionId: models.current.id, params: paramsFor(models.current, spec, t) }));
	if (strategy.kind === 'versions') {
		if (!models.previous) throw new FieldError('strategy', 'There is no previous model version to compare with: retire one first.');
		return [
			{ slot: 'current', modelVersionId: models.current.id, params: paramsFor(models.current, spec, strategy.temperature) },
			{ slot: 'previous', modelVersionId: models.previous.id, params: paramsFor(models.previous, spec, strategy.temperature) }
		];
	}
	// One random base per job: samples differ from each other and from other jobs, and are reproducible.
	const seed = Math.floor(Math.random() * 1_000_000);
	return Array.from({ length: strategy.n }, (_, i) => ({
		slot: `seed=${String(i).padStart(2, '0')}`,
		modelVersionId: models.current.id,
		params: { ...paramsFor(models.current, spec, strategy.temperature), seed: seed + i }
	}));
}
