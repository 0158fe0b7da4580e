import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { job } from '../db/schema';
import { z } from 'zod';
import { formValues } from '../forms';
import { text } from '../text';
import { REFRESH_JOB_KIND } from './refresh-request';
import { qualitySettingsSchema, type QualitySettings } from './settings';

/** Every setting's name, in the schema's order: the form's fields. */
export const settingsFields = Object.keys(qualitySettingsSchema.shape) as Array<keyof QualitySettings>;

// Required as text: the form always sends every number field ('' when cleared), so a missing one
// (or a file in its place) is a broken form, refused naming the field.
const numberText = text({ error: 'Fill in a number (or leave the field empty for the default).' }).transform((value) =>
	value.trim() ? Number(value.trim()) : undefined
);
const checkBox = text()
	.optional()
	.transform((value) => value === 'on' || value === 'true');

/**
 * The settings form as the schema wants it: every field is text first (NUL and
 * lone surrogates refused, naming the field; every number field must be sent), then a number — a word becomes
 * NaN, which the settings schema refuses naming the field; a cleared field
 * takes its default — and the check box a boolean.
 */
export const settingsFormSchema = z
	.object(Object.fromEntries(settingsFields.map((field) => [field, field === 'goldEditChecks' ? checkBox : numberText])))
	.pipe(qualitySettingsSchema);

/** The form's fields as sent, for the form to show again when refused. */
export function settingsFromForm(form: FormData): { input: Record<string, string | undefined>; typed: Record<string, string> } {
	const input = formValues(form, settingsFields);
	const typed = Object.fromEntries(settingsFields.map((field) => [field, input[field] ?? '']));
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
