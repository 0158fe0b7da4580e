import { isHttpError, json, type RequestEvent } from '@sveltejs/kit';
import type { z } from 'zod';
import { ConflictError, FieldError, NotFoundError, missingReferenceOf } from '../errors';
import { formErrors } from '../forms';

/**
 * JSON endpoints answer errors as `{ message, errors? }` with a status a client
 * can act on: 400 fix the input, 404 gone, 409 conflicts with what happened,
 * 415 send JSON;
 * a 5xx means try again (the ranking page keeps the work and retries).
 */
export async function parseJson<T>(event: Pick<RequestEvent, 'request'>, schema: z.ZodType<T>): Promise<T> {
	// Only JSON is read as JSON: a form or text/plain body (which a cross-site form can send) is refused unread.
	const type = event.request.headers.get('content-type') ?? '';
	if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type))
		throwJson(415, { message: `Send the body as application/json (it came as ${type.split(';')[0]!.slice(0, 100) || 'no content type'}).` });
	let body: unknown;
	try {
		body = await event.request.json();
	} catch (thrown) {
		// a body over JSON_BODY_LIMIT fails the read with its 413 (body-limits.ts)
		if (isHttpError(thrown)) throw thrown;
		throwJson(400, { message: 'The body must be JSON.' });
	}
	const parsed = schema.safeParse(body);
	if (!parsed.success) {
		const errors = formErrors(parsed.error);
		throwJson(400, { message: Object.entries(errors).map(([f, m]) => `${f}: ${m}`).join('; '), errors });
	}
	return parsed.data;
}

export class JsonFailure extends Error {
	constructor(
		readonly status: number,
		readonly body: { message: string; errors?: Record<string, string> }
	) {
		super(body.message);
	}
}

export function throwJson(status: number, body: { message: string; errors?: Record<string, string> }): never {
	throw new JsonFailure(status, body);
}

/** Runs an endpoint body, turning domain errors into JSON answers; anything else is a 500. */
export async function answer(run: () => Promise<unknown>): Promise<Response> {
	try {
		const result = await run();
		// an endpoint that shaped its own answer (a status with a body) passes it through
		return result instanceof Response ? result : json(result);
	} catch (e) {
		if (e instanceof JsonFailure) return json(e.body, { status: e.status });
		if (e instanceof FieldError) return json({ message: e.message, errors: { [e.field]: e.message } }, { status: 400 });
		if (e instanceof NotFoundError) return json({ message: e.message }, { status: 404 });
		if (e instanceof ConflictError) return json({ message: e.message }, { status: 409 });
		// A write that names a row which is not there (a skip of an unknown pair): the
		// transaction rolled back, and the caller is told what is missing, not the SQL.
		const missing = missingReferenceOf(e);
		if (missing) return json({ message: `No such ${missing.table.replace(/_/g, ' ')}: it may have been removed.` }, { status: 404 });
		// error()/redirect() from guards, and real faults, which handleError logs as a 500
		throw e;
	}
}
