import { error, fail, isHttpError, type ActionFailure, type Handle } from '@sveltejs/kit';
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

/**
 * A form action's multipart body that cannot be parsed makes `request.formData()`
 * throw a TypeError ("Failed to parse body as FormData"), which an action would
 * turn into a 500. Checked once here, for every action present and future: the
 * body is parsed from a clone (adapter-node has already capped its size) and a
 * broken one is answered 400 before any action runs.
 */
export const refuseUnreadableForms: Handle = async ({ event, resolve }) => {
	const type = event.request.headers.get('content-type') ?? '';
	const isForm = /^multipart\/form-data\b/i.test(type);
	if (event.request.method === 'POST' && isForm && !event.url.pathname.startsWith('/api/')) {
		const readable = await event.request
			.clone()
			.formData()
			.then(
				() => true,
				// a body over FORM_BODY_LIMIT fails the read with the limit's own 413: that answer stands
				(thrown: unknown) => {
					const cause = (thrown as { cause?: unknown } | null)?.cause;
					if (isHttpError(thrown)) throw thrown;
					if (isHttpError(cause)) throw cause;
					return false;
				}
			);
		if (!readable) error(400, 'The form could not be read (a malformed multipart body): reload the page and send it again.');
	}
	return resolve(event);
};
