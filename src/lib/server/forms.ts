import { fail, type ActionFailure } from '@sveltejs/kit';
import type { z } from 'zod';

export type FieldErrors = Record<string, string>;

/** The first message per field, keyed by the field's name (`form` for errors about the whole form). */
export function formErrors(error: z.ZodError): FieldErrors {
	const errors: FieldErrors = {};
	for (const issue of error.issues) {
		const field = issue.path.length ? issue.path.join('.') : 'form';
		errors[field] ??= issue.message;
	}
	return errors;
}

/** Strings for the named fields; a missing field stays undefined so zod names it. Files are refused. */
export function formValues(form: FormData, fields: readonly string[]): Record<string, string | undefined> {
	const values: Record<string, string | undefined> = {};
	for (const field of fields) {
		const value = form.get(field);
		values[field] = typeof value === 'string' ? value : undefined;
	}
	return values;
}

/** The one shape every form action fails with: field messages plus what was typed (never passwords). */
export function rejectForm<V extends Record<string, unknown>>(
	status: number,
	errors: FieldErrors | z.ZodError,
	values: V
): ActionFailure<{ errors: FieldErrors; values: V }> {
	return fail(status, { errors: errors instanceof Error ? formErrors(errors) : errors, values });
}
