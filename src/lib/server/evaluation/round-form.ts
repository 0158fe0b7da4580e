import { redirect } from '@sveltejs/kit';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../db';
import { modelVersion } from '../db/schema';
import { formErrors, formValues, type FieldErrors } from '../forms';
import type { ModelRow } from '../models/registry';
import { numberText } from '../settings-form';
import { text } from '../text';
import { refusal } from '../training/pages';
import { createRound, roundInputSchema, type RoundInput } from './rounds';
import { readEvaluationSettings } from './settings';

/**
 * The start-round form as `roundInputSchema` wants it: the ticked models
 * (`modelVersionIds`, a check box per model, sent once per tick) and the round's sizes as number
 * fields ('' takes the persona's setting).
 */

export const roundNumberFields = ['prompts', 'overlap', 'priority', 'temperature'] as const;

export const roundFormSchema = z
	.object({
		modelVersionIds: z.array(text()),
		...Object.fromEntries(roundNumberFields.map((field) => [field, numberText]))
	})
	.pipe(roundInputSchema);

/**
 * Field messages for the form: a message about one ticked model (`modelVersionIds.1`, a NUL or not
 * an id) is shown at the check boxes, under `modelVersionIds`.
 */
export function roundFormErrors(error: z.ZodError): FieldErrors {
	const errors: FieldErrors = {};
	for (const [field, message] of Object.entries(formErrors(error))) errors[field.replace(/^modelVersionIds\.\d+$/, 'modelVersionIds')] ??= message;
	return errors;
}

export type RoundFormTyped = Record<string, string | string[]>;

/** The form as sent (files dropped), and as typed for the form to show again when refused. */
export function roundFromForm(form: FormData): { input: Record<string, unknown>; typed: RoundFormTyped } {
	const modelVersionIds = form.getAll('modelVersionIds').filter((value): value is string => typeof value === 'string');
	const sizes = formValues(form, roundNumberFields);
	return { input: { modelVersionIds, ...sizes }, typed: { modelVersionIds, ...Object.fromEntries(roundNumberFields.map((f) => [f, sizes[f] ?? ''])) } };
}

/** Models a round can ask for replies: those served by an endpoint (not the demo pool, not people's gold edits). */
export function comparableModels(models: ModelRow[]): Array<Pick<ModelRow, 'id' | 'name' | 'status'>> {
	return models.filter((m) => m.kind === 'endpoint').map(({ id, name, status }) => ({ id, name, status }));
}

/** What the form starts with: the newest candidate against the current model, sized by the persona's settings. */
export async function roundFormDefaults(db: DbOrTx, personaId: string, models: ModelRow[]) {
	const settings = await readEvaluationSettings(db, personaId);
	const comparable = comparableModels(models);
	// listModels orders current first, then candidates newest first.
	const current = comparable.find((m) => m.status === 'current');
	const newest = comparable.find((m) => m.status === 'candidate');
	return {
		models: [newest?.id, current?.id].filter((id): id is string => !!id),
		prompts: settings.prompts,
		overlap: settings.overlap,
		priority: settings.priority,
		temperature: settings.temperature
	};
}

/**
 * Starts the round and sends the admin to its page (303); a round the rounds module
 * refuses (a model of another persona, no prompts to draw…) comes back naming its field.
 */
export async function startRound<V extends Record<string, unknown>>(db: Db, personaId: string, input: RoundInput, actor: { id: string; ip: string }, values: V) {
	let created: { roundId: string };
	try {
		created = await createRound(db, personaId, input, actor);
	} catch (thrown) {
		return refusal(thrown, values);
	}
	redirect(303, `/admin/evaluation/rounds/${created.roundId}`);
}

/** The round a candidate's page starts: the candidate against its persona's current model, sized by the settings. */
export async function againstCurrent(
	db: DbOrTx,
	candidateId: string
): Promise<{ success: true; personaId: string; data: RoundInput } | { success: false; error: FieldErrors | z.ZodError }> {
	const [candidate] = await db.select({ personaId: modelVersion.personaId }).from(modelVersion).where(eq(modelVersion.id, candidateId));
	if (!candidate) return { success: false, error: { form: 'That model version does not exist.' } };
	const [current] = await db
		.select({ id: modelVersion.id })
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, candidate.personaId), eq(modelVersion.status, 'current')));
	if (!current || current.id === candidateId)
		return { success: false, error: { modelVersionIds: 'There is no other current model to compare it with: make one current first, or start a round on the Evaluation page.' } };
	// Sizes left out are the persona's settings (rounds.ts).
	const parsed = roundInputSchema.safeParse({ modelVersionIds: [candidateId, current.id], candidateId });
	return parsed.success ? { success: true, personaId: candidate.personaId, data: parsed.data } : { success: false, error: parsed.error };
}
