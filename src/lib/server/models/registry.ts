import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import * as audit from '../audit';
import type { Db, DbOrTx } from '../db';
import { candidate, modelVersion, persona } from '../db/schema';
import { FieldError, isUniqueViolation, NotFoundError } from '../errors';
import * as runtime from '../runtime';
import { chatCompletion, ModelServerError, type Endpoint, type GenerationParams } from '../sampling/openai';
import type { ModelInput } from './input';
import { isKeyVariable, keyFrom, KEY_VARIABLE_RULE } from './keys';

/*
 * The model versions a persona samples from. An endpoint is any
 * OpenAI-compatible server (contract: tests/contracts/openai_chat_completions.examples.json).
 * Its API key lives only in the server's environment: the database, the audit
 * trail and every answer hold the variable's NAME, and the value is read at the
 * moment of a call, only from a variable made for model keys (keys.ts), and sent
 * only to an address the egress rules allow (sampling/egress.ts).
 */

export type Actor = { id: string | null; ip?: string | null };

export { API_KEY_ENV, modelInputFields, modelInputSchema, withoutUserInfo, type ModelInput } from './input';

export type ModelVersion = typeof modelVersion.$inferSelect;
export type ModelRow = Pick<ModelVersion, 'id' | 'name' | 'kind' | 'baseUrl' | 'model' | 'apiKeyEnv' | 'status' | 'trainingRunId' | 'createdAt' | 'updatedAt'> & {
	defaultParams: GenerationParams;
	/** Whether the named variable is set in this server's environment (null: no key needed). Never the value. */
	keySet: boolean | null;
	/** False when the named variable is not a model key variable (a version saved before the rule): nothing is sent. */
	keyAllowed: boolean;
};

const listedKeyVariables = (): readonly string[] => runtime.config().models.keyVariables;

function keyOf(apiKeyEnv: string | null): string | undefined {
	return keyFrom(apiKeyEnv, listedKeyVariables());
}

/** The form's save refuses a key variable outside the rule, on its field. */
function checkKeyVariable(input: ModelInput): void {
	if (input.apiKeyEnv && !isKeyVariable(input.apiKeyEnv, listedKeyVariables()))
		throw new FieldError('apiKeyEnv', `${input.apiKeyEnv} is not a model key variable: use ${KEY_VARIABLE_RULE}. The key is sent to the model's server, so the platform's own secrets can never be named here.`);
}

/** Current first, then candidates, then retired; newest first within each. */
export async function listModels(db: DbOrTx, personaId: string): Promise<ModelRow[]> {
	const rows = await db
		.select()
		.from(modelVersion)
		.where(eq(modelVersion.personaId, personaId))
		.orderBy(sql`case ${modelVersion.status} when 'current' then 0 when 'candidate' then 1 else 2 end`, desc(modelVersion.createdAt), asc(modelVersion.name));
	return rows.map(({ personaId: _persona, defaultParams, ...row }) => ({
		...row,
		defaultParams: defaultParams as GenerationParams,
		keySet: row.apiKeyEnv ? keyOf(row.apiKeyEnv) !== undefined : null,
		keyAllowed: !row.apiKeyEnv || isKeyVariable(row.apiKeyEnv, listedKeyVariables())
	}));
}

export async function getModel(db: DbOrTx, id: string): Promise<ModelVersion> {
	const [found] = await db.select().from(modelVersion).where(eq(modelVersion.id, id));
	if (!found) throw new NotFoundError('That model version does not exist (any more).');
	return found;
}

const nameTaken = () => new FieldError('name', 'This persona already has a model version with this name.');

export async function createModel(db: Db, personaId: string, input: ModelInput, actor: Actor): Promise<{ id: string }> {
	checkKeyVariable(input);
	try {
		return await db.transaction(async (tx) => {
			const [created] = await tx
				.insert(modelVersion)
				.values({ personaId, kind: 'endpoint', status: 'candidate', ...input })
				.returning({ id: modelVersion.id });
			if (!created) throw new Error('insert returned no row');
			await audit.record(tx, { actorId: actor.id, action: 'model.create', targetType: 'model_version', targetId: created.id, details: { personaId, ...input }, ip: actor.ip });
			return created;
		});
	} catch (error) {
		if (isUniqueViolation(error, 'model_version_name_unique')) throw nameTaken();
		throw error;
	}
}

/**
 * Edits an endpoint version. The model name is fixed once replies were sampled
 * from it, so those replies keep saying which model wrote them; a new model is a
 * new version. The URL, key variable and default params may change (a server moves).
 */
export async function updateModel(db: Db, id: string, input: ModelInput, actor: Actor): Promise<void> {
	checkKeyVariable(input);
	try {
		await db.transaction(async (tx) => {
			const [found] = await tx.select().from(modelVersion).where(eq(modelVersion.id, id)).for('update');
			if (!found) throw new NotFoundError('That model version does not exist (any more).');
			if (found.kind !== 'endpoint') throw new FieldError('form', 'The demo pool is read-only: it holds pre-written replies, not a model to call.');
			if (found.model !== input.model) {
				const [used] = await tx.select({ n: count() }).from(candidate).where(eq(candidate.modelVersionId, id));
				if (used && used.n > 0)
					throw new FieldError('model', `${used.n} replies were sampled from "${found.model}": register the new model as a new version instead.`);
			}
			await tx.update(modelVersion).set({ ...input, updatedAt: new Date() }).where(eq(modelVersion.id, id));
			const before = { name: found.name, baseUrl: found.baseUrl, model: found.model, apiKeyEnv: found.apiKeyEnv, defaultParams: found.defaultParams };
			await audit.record(tx, { actorId: actor.id, action: 'model.update', targetType: 'model_version', targetId: id, details: { before, after: input }, ip: actor.ip });
		});
	} catch (error) {
		if (isUniqueViolation(error, 'model_version_name_unique')) throw nameTaken();
		throw error;
	}
}

/**
 * Makes `id` its persona's current version; the one current before is retired, in the same transaction.
 * `evidence` goes into the audit event with the promotion (the verdict an automatic promotion acted on).
 */
export async function makeCurrent(db: Db, id: string, actor: Actor, evidence: Record<string, unknown> = {}): Promise<{ retired: string | null }> {
	return db.transaction(async (tx) => {
		// Promotions for one persona queue on its row instead of tripping over the one-current index.
		const ownerOf = tx.select({ personaId: modelVersion.personaId }).from(modelVersion).where(eq(modelVersion.id, id));
		await tx.select({ id: persona.id }).from(persona).where(inArray(persona.id, ownerOf)).for('update');
		const target = await getModel(tx, id);
		if (target.kind === 'human')
			throw new FieldError('status', 'This version holds approved gold edits written by people: it cannot be current (there is nothing to sample from).');
		const [was] = await tx
			.select({ id: modelVersion.id })
			.from(modelVersion)
			.where(and(eq(modelVersion.personaId, target.personaId), eq(modelVersion.status, 'current')));
		if (was?.id === id) return { retired: null };
		const now = new Date();
		if (was) await tx.update(modelVersion).set({ status: 'retired', updatedAt: now }).where(eq(modelVersion.id, was.id));
		await tx.update(modelVersion).set({ status: 'current', updatedAt: now }).where(eq(modelVersion.id, id));
		await audit.record(tx, {
			actorId: actor.id,
			action: 'model.current',
			targetType: 'model_version',
			targetId: id,
			details: { name: target.name, from: target.status, retired: was?.id ?? null, ...evidence },
			ip: actor.ip
		});
		return { retired: was?.id ?? null };
	});
}

export async function retire(db: Db, id: string, actor: Actor): Promise<void> {
	await db.transaction(async (tx) => {
		const [found] = await tx.select().from(modelVersion).where(eq(modelVersion.id, id)).for('update');
		if (!found) throw new NotFoundError('That model version does not exist (any more).');
		if (found.status === 'current')
			throw new FieldError('status', 'This is the current version: make another one current first (that retires this one).');
		if (found.status === 'retired') return;
		await tx.update(modelVersion).set({ status: 'retired', updatedAt: new Date() }).where(eq(modelVersion.id, id));
		await audit.record(tx, { actorId: actor.id, action: 'model.retire', targetType: 'model_version', targetId: id, details: { name: found.name }, ip: actor.ip });
	});
}

/**
 * The most recently retired endpoint version: "previous" in the current-vs-previous
 * sampling strategy. Ordered by the last change, which for a retired version is
 * its retirement unless it was edited afterwards.
 */
export async function previousVersion(db: DbOrTx, personaId: string): Promise<ModelVersion | null> {
	const [found] = await db
		.select()
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.status, 'retired'), eq(modelVersion.kind, 'endpoint')))
		.orderBy(desc(modelVersion.updatedAt), desc(modelVersion.createdAt))
		.limit(1);
	return found ?? null;
}

/** The model cannot be called as configured (demo pool, key variable unset): retrying will not help. */
export class ModelConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ModelConfigError';
	}
}

/** Where to send a request for `model`, with its key read from the environment now and the operator's egress rules. */
export function endpointOf(model: Pick<ModelVersion, 'name' | 'kind' | 'baseUrl' | 'model' | 'apiKeyEnv'>): Endpoint {
	if (model.kind !== 'endpoint' || !model.baseUrl || !model.model)
		throw new ModelConfigError(`"${model.name}" holds pre-written demo replies; there is no server to call.`);
	// Checked again here: a version saved before the rule (or written to the table directly) must not send that variable either.
	if (model.apiKeyEnv && !isKeyVariable(model.apiKeyEnv, listedKeyVariables()))
		throw new ModelConfigError(
			`"${model.name}" names ${model.apiKeyEnv} as its API key variable, which is not a model key variable: nothing was sent. Edit the version to use ${KEY_VARIABLE_RULE}.`
		);
	const apiKey = keyOf(model.apiKeyEnv);
	if (model.apiKeyEnv && !apiKey)
		throw new ModelConfigError(`The environment variable ${model.apiKeyEnv} (API key for "${model.name}") is not set on this server: set it and restart the app.`);
	return { baseUrl: model.baseUrl, model: model.model, apiKey: apiKey ?? null, egress: runtime.config().models.egress };
}

export type ConnectionTest = { ok: true; text: string; latencyMs: number; finishReason: string | null } | { ok: false; message: string };

export const CONNECTION_TEST_MESSAGE = 'Say hello in one short sentence.';

/** One real request to the version's server, with the persona's system prompt; failures come back as a message. */
export async function testConnection(db: DbOrTx, id: string, options: { timeoutMs?: number } = {}): Promise<ConnectionTest> {
	const model = await getModel(db, id);
	const [owner] = await db.select({ systemPrompt: persona.systemPrompt }).from(persona).where(eq(persona.id, model.personaId));
	let endpoint: Endpoint;
	try {
		endpoint = endpointOf(model);
	} catch (error) {
		if (error instanceof ModelConfigError) return { ok: false, message: error.message };
		throw error;
	}
	const messages = [
		{ role: 'system' as const, content: owner?.systemPrompt ?? '' },
		{ role: 'user' as const, content: CONNECTION_TEST_MESSAGE }
	];
	const params = { ...(model.defaultParams as GenerationParams), max_tokens: 64 };
	try {
		const answer = await chatCompletion(endpoint, messages, params, { timeoutMs: options.timeoutMs ?? 15_000, maxRetries: 0 });
		const [choice] = answer.choices;
		if (!choice) return { ok: false, message: 'The server answered without a reply (no choices).' };
		return { ok: true, text: choice.text, latencyMs: answer.latencyMs, finishReason: choice.finishReason };
	} catch (error) {
		// The client's messages never hold the key (it redacts what servers echo back).
		if (error instanceof ModelServerError) return { ok: false, message: error.message };
		throw error;
	}
}

export type ModelListing = Pick<ModelVersion, 'id' | 'name' | 'kind' | 'status' | 'model'> & { persona: string };

/** Every persona's model versions, for the admin home: by persona, newest first. */
export function listAllModels(db: DbOrTx): Promise<ModelListing[]> {
	return db
		.select({
			id: modelVersion.id,
			name: modelVersion.name,
			kind: modelVersion.kind,
			status: modelVersion.status,
			model: modelVersion.model,
			persona: persona.name
		})
		.from(modelVersion)
		.innerJoin(persona, eq(persona.id, modelVersion.personaId))
		.orderBy(asc(persona.name), desc(modelVersion.createdAt));
}
