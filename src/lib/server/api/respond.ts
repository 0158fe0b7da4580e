import { isHttpError, json, type RequestEvent } from '@sveltejs/kit';
import type { z } from 'zod';
import { ConflictError, FieldError, NotFoundError } from '../errors';
import { formErrors } from '../forms';

/**
 * JSON endpoints answer errors as `{ message, errors? }` with a status a client
 * can act on: 400 fix the input, 404 gone, 409 conflicts with what happened;
 * a 5xx means try again (the ranking page keeps the work and retries).
 */
export async function parseJson<T>(event: Pick<RequestEvent, 'request'>, schema: z.ZodType<T>): Promise<T> {
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
		// error()/redirect() from guards, and real faults, which handleError logs as a 500
		throw e;
	}
}
