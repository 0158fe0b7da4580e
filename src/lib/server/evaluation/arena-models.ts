import { and, eq, sql, desc } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { modelVersion, type ChatMessage } from '../db/schema';
import { FieldError } from '../errors';
import { endpointOf, ModelConfigError, type ModelVersion } from '../models/registry';
import { chatCompletion, ModelServerError, type GenerationParams, type Reply } from '../sampling/openai';

/*
 * Which models may fight in the arena, and asking two of them live. A
 * persona's current model and its candidates fight; with no candidate every
 * endpoint version is offered (a retired one against the current, say), and
 * the page says why. Only endpoint versions: the demo pool and gold edits
 * have nothing to call.
 */

export type Fighter = { id: string; name: string; status: ModelVersion['status'] };
export type Side = 'modelA' | 'modelB';
export type Fighters = {
	models: Fighter[];
	defaults: Record<Side, string | null>;
	/** No candidate to measure: any two endpoint versions are offered instead. */
	noCandidate: boolean;
};

/** Current first, then candidates, then retired, newest first within each. */
export async function listFighters(db: DbOrTx, personaId: string): Promise<Fighters> {
	const rows = await db
		.select({ id: modelVersion.id, name: modelVersion.name, status: modelVersion.status })
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.kind, 'endpoint')))
		.orderBy(sql`case ${modelVersion.status} when 'current' then 0 when 'candidate' then 1 else 2 end`, desc(modelVersion.createdAt));
	const noCandidate = !rows.some((row) => row.status === 'candidate');
	const models = noCandidate ? rows : rows.filter((row) => row.status !== 'retired');
	const current = models.find((row) => row.status === 'current');
	const first = current ?? models[0];
	const second = models.find((row) => row !== first && (noCandidate || row.status === 'candidate'));
	return { models, noCandidate, defaults: { modelA: first?.id ?? null, modelB: second?.id ?? null } };
}

/** The two models a battle asks, in the order of the pickers: chosen ones must be on offer, missing ones take the defaults. */
export function pickFighters(fighters: Fighters, chosen: Partial<Record<Side, string>>): [Fighter, Fighter] {
	const pick = (side: Side): Fighter => {
		const id = chosen[side] ?? fighters.defaults[side];
		if (!id) throw new FieldError(side, 'This persona needs two model versions with an endpoint for arena mode: register one on the models page.');
		const found = fighters.models.find((model) => model.id === id);
		if (!found) throw new FieldError(side, 'That model cannot fight here: choose one of the models offered.');
		return found;
	};
	const [a, b] = [pick('modelA'), pick('modelB')];
	if (a.id === b.id) throw new FieldError('modelB', 'Choose two different models: a model against itself measures nothing.');
	return [a, b];
}

/** A model that did not answer, with the side it was picked on: nothing of the battle is written. */
export class ModelUnavailableError extends Error {
	constructor(
		readonly sides: Partial<Record<Side, string>>,
		message: string
	) {
		super(message);
		this.name = 'ModelUnavailableError';
	}
}

// Default params are written by the model form (models/input.ts); read here as the request takes them.
const paramsSchema = z.object({
	temperature: z.number().optional().catch(undefined),
	top_p: z.number().optional().catch(undefined),
	seed: z.number().int().optional().catch(undefined),
	max_tokens: z.number().int().optional().catch(undefined)
});

export type LiveReply = Reply & { modelVersionId: string };
const SIDE_WORDS: Record<Side, string> = { modelA: 'first', modelB: 'second' };

async function askOne(model: ModelVersion, messages: ChatMessage[], timeoutMs: number): Promise<LiveReply> {
	const params: GenerationParams = Object.fromEntries(
		Object.entries(paramsSchema.parse(model.defaultParams)).filter(([, value]) => value !== undefined)
	);
	// A person is waiting: one retry for a hiccup, not the sampling job's four.
	const answer = await chatCompletion(endpointOf(model), messages, params, { timeoutMs, maxRetries: 1 });
	const choice = answer.choices[0]!;
	return {
		modelVersionId: model.id,
		text: choice.text,
		finishReason: choice.finishReason,
		promptTokens: answer.usage.promptTokens,
		completionTokens: answer.usage.completionTokens,
		latencyMs: answer.latencyMs,
		responseId: answer.id,
		params
	};
}

/** Both models at once; either failing fails the battle with a message naming its side (both, when both failed). */
export async function askBoth(models: [ModelVersion, ModelVersion], messages: ChatMessage[], timeoutMs: number): Promise<[LiveReply, LiveReply]> {
	const settled = await Promise.allSettled(models.map((model) => askOne(model, messages, timeoutMs)));
	const sides: Partial<Record<Side, string>> = {};
	settled.forEach((outcome, i) => {
		if (outcome.status === 'fulfilled') return;
		const error = outcome.reason;
		if (!(error instanceof ModelServerError || error instanceof ModelConfigError)) throw error;
		const side: Side = i === 0 ? 'modelA' : 'modelB';
		sides[side] = `The ${SIDE_WORDS[side]} model did not answer: ${error.message}`;
	});
	const failed = Object.values(sides);
	if (failed.length) throw new ModelUnavailableError(sides, `${failed.join(' ')} Nothing was kept; try again, or choose another model.`);
	return settled.map((outcome) => (outcome as PromiseFulfilledResult<LiveReply>).value) as [LiveReply, LiveReply];
}
