import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { persona } from '../db/schema';
import { settingsOver } from '../stored-settings';

/**
 * A persona's evaluation settings: how big a round is, when a verdict is
 * known, and what happens on its own (a round when the training chain
 * registers a candidate, promotion when the verdict is "better"). Stored as
 * JSON on the persona (empty means the defaults), parsed here and used typed
 * everywhere else. The verdict rule is defined in docs/architecture.md
 * ("Evaluation: ratings and verdicts").
 */
export const evaluationSettingsSchema = z.object({
	/** Prompts a round asks replies for, per model. */
	prompts: z.number().int().min(1, 'At least 1 prompt.').max(5_000, 'At most 5,000 prompts.').default(200),
	/** Different annotators per evaluation pair. */
	overlap: z.number().int().min(1, 'At least 1.').max(20, 'At most 20.').default(1),
	/** Evaluation pairs are handed out before regular pairs of lower priority. */
	priority: z.number().int().min(-100, 'At least -100.').max(100, 'At most 100.').default(10),
	/** Sampling temperature of every model in a round. */
	temperature: z.number().min(0, 'At least 0.').max(2, 'At most 2.').default(0.7),
	/** Fewer votes between candidate and baseline than this and the verdict is "not yet known". */
	minVotes: z.number().int().min(1, 'At least 1 vote.').max(100_000, 'At most 100,000 votes.').default(100),
	/** The training chain starts a round (candidate against the current model) when it registers a candidate. */
	roundOnCandidate: z.boolean().default(false),
	/** A candidate whose verdict is "better" is made current without an admin. */
	autoPromote: z.boolean().default(false)
});

export type EvaluationSettings = z.infer<typeof evaluationSettingsSchema>;

export function defaultEvaluationSettings(): EvaluationSettings {
	return evaluationSettingsSchema.parse({});
}

/** Stored settings over the defaults (see settingsOver). */
export function parseEvaluationSettings(stored: unknown): EvaluationSettings {
	return settingsOver(evaluationSettingsSchema, stored);
}

export async function readEvaluationSettings(db: DbOrTx, personaId: string): Promise<EvaluationSettings> {
	const [row] = await db.select({ settings: persona.evaluationSettings }).from(persona).where(eq(persona.id, personaId));
	return parseEvaluationSettings(row?.settings);
}

/** Saves settings already parsed with `evaluationSettingsSchema`; safe to repeat. */
export async function saveEvaluationSettings(db: DbOrTx, personaId: string, settings: EvaluationSettings): Promise<void> {
	await db.update(persona).set({ evaluationSettings: settings, updatedAt: new Date() }).where(eq(persona.id, personaId));
}
