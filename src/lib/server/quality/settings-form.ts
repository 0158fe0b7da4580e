import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { job } from '../db/schema';
import { formValues } from '../forms';
import { REFRESH_JOB_KIND } from './refresh-request';
import { qualitySettingsSchema, type QualitySettings } from './settings';

/** Every setting's name, in the schema's order: the form's fields. */
export const settingsFields = Object.keys(qualitySettingsSchema.shape) as Array<keyof QualitySettings>;

/**
 * The settings form's values as the schema wants them: numbers from text (a
 * word becomes NaN, which zod refuses naming the field; a cleared field takes
 * its default), the check box as a boolean. Returns what was typed as well, for
 * the form to show again.
 */
export function settingsFromForm(form: FormData): { input: Record<string, unknown>; typed: Record<string, string> } {
	const raw = formValues(form, settingsFields);
	const input: Record<string, unknown> = {};
	const typed: Record<string, string> = {};
	for (const field of settingsFields) {
		const value = raw[field]?.trim();
		typed[field] = value ?? '';
		if (field === 'goldEditChecks') input[field] = value === 'on' || value === 'true';
		else if (value) input[field] = Number(value);
	}
	return { input, typed };
}

/** The persona's refresh that is waiting or running, if any: the page says so instead of offering a second one. */
export async function pendingRefresh(db: DbOrTx, personaId: string): Promise<{ id: string; status: string; createdAt: Date } | null> {
	const [row] = await db
		.select({ id: job.id, status: job.status, createdAt: job.createdAt })
		.from(job)
		.where(and(eq(job.kind, REFRESH_JOB_KIND), eq(job.personaId, personaId), inArray(job.status, ['queued', 'running'])))
		.orderBy(desc(job.createdAt))
		.limit(1);
	return row ?? null;
}
