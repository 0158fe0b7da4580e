import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { persona } from '../db/schema';
import { settingsOver } from '../stored-settings';

/**
 * A persona's quality settings: how often checks are mixed into the queue and
 * when an annotator is flagged. Stored as JSON on the persona (empty means the
 * defaults), parsed here and used typed everywhere else. The rules that use
 * each threshold are defined in docs/architecture.md ("Quality").
 */
export const qualitySettingsSchema = z.object({
	/** One hand-out in this many (on average) is a check; 0 turns checks off. */
	checkEvery: z.number().int().min(0).max(1000).default(20),
	/** Approved gold edits become checks (the edit against the reply it was made from; the edit should win). */
	goldEditChecks: z.boolean().default(true),
	/** Two-sided level of the position-bias test. */
	significance: z.number().gt(0).max(0.2).default(0.01),
	/** Fewer votes than this (a/b votes, shared pairs) and nobody is flagged on that figure. */
	minVotes: z.number().int().min(1).max(100_000).default(30),
	/** Fewer answered checks than this and nobody is flagged on check accuracy. */
	minCheckAnswers: z.number().int().min(1).max(100_000).default(10),
	/** Check accuracy below this is flagged. */
	minCheckAccuracy: z.number().min(0).max(1).default(0.7),
	/** Agreement with the others' majority below this is flagged. */
	minAgreement: z.number().min(0).max(1).default(0.5),
	/** Reading both replies faster than this many words per second makes a vote "fast". */
	maxWordsPerSecond: z.number().gt(0).max(1000).default(20),
	/** A larger share of fast votes than this is flagged. */
	maxFastShare: z.number().min(0).max(1).default(0.2),
	/** The same answer this many times in a row (or more) is flagged. */
	maxRun: z.number().int().min(2).max(10_000).default(15),
	/** A tie or off-persona rate further than this from the crowd's is flagged (absolute, 0–1). */
	maxRateDeviation: z.number().min(0).max(1).default(0.25),
	/** The same strength on this share of a/b votes (or more) is flagged. */
	maxSameStrengthShare: z.number().min(0).max(1).default(0.95)
});

export type QualitySettings = z.infer<typeof qualitySettingsSchema>;

export function defaultQualitySettings(): QualitySettings {
	return qualitySettingsSchema.parse({});
}

/** Stored settings over the defaults (see settingsOver). */
export function parseQualitySettings(stored: unknown): QualitySettings {
	return settingsOver(qualitySettingsSchema, stored);
}

export async function readQualitySettings(db: DbOrTx, personaId: string): Promise<QualitySettings> {
	const [row] = await db.select({ settings: persona.qualitySettings }).from(persona).where(eq(persona.id, personaId));
	return parseQualitySettings(row?.settings);
}

/** Saves settings already parsed with `qualitySettingsSchema`; safe to repeat. */
export async function saveQualitySettings(db: DbOrTx, personaId: string, settings: QualitySettings): Promise<void> {
	await db.update(persona).set({ qualitySettings: settings, updatedAt: new Date() }).where(eq(persona.id, personaId));
}
