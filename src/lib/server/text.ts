import { z } from 'zod';

/*
 * Text from outside, checked at the boundary. PostgreSQL cannot store a NUL
 * character in `text` or `jsonb` ("invalid byte sequence for encoding UTF8:
 * 0x00"), and a lone UTF-16 surrogate (a `\ud800` escape in JSON with no
 * partner) is no character at all: `jsonb` refuses it and UTF-8 cannot encode
 * it. Either one used to reach the database and come back as a 500. Every zod
 * schema that takes text from a person or a machine builds its strings with
 * `text()` instead of `z.string()`, so the refusal is a 400 naming the field
 * (or, in an import, the line), before anything is written.
 */

export const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';
export const SURROGATE_MESSAGE = 'must be valid Unicode (it holds a lone UTF-16 surrogate)';

/** Why `value` cannot be stored as text, or null when it can. */
export function textProblem(value: string): string | null {
	if (value.includes('\0')) return NUL_MESSAGE;
	if (!value.isWellFormed()) return SURROGATE_MESSAGE;
	return null;
}

/**
 * `z.string(params)` that refuses NUL and lone surrogates; chain `.trim()`,
 * `.max()`, `.regex()`… as on any zod string. The check runs first, so the
 * message a person sees is about the character, not a rule it happens to break.
 */
export function text(params?: Parameters<typeof z.string>[0]): z.ZodString {
	return z.string(params).check((ctx) => {
		const problem = textProblem(ctx.value);
		if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value, continue: false });
	});
}

export type JsonTextProblem = { path: PropertyKey[]; message: string };

/** The first string in a JSON value (member names included) that `text()` would refuse, with where it is. */
export function jsonTextProblem(value: unknown, path: PropertyKey[] = []): JsonTextProblem | null {
	if (typeof value === 'string') {
		const message = textProblem(value);
		return message ? { path, message } : null;
	}
	if (!value || typeof value !== 'object') return null;
	for (const [key, member] of Object.entries(value)) {
		const at = [...path, Array.isArray(value) ? Number(key) : key];
		const inKey = Array.isArray(value) ? null : textProblem(key);
		if (inKey) return { path: at, message: `its name ${inKey}` };
		const inside = jsonTextProblem(member, at);
		if (inside) return inside;
	}
	return null;
}

/**
 * For schemas that keep members they do not name (`z.looseObject`, stored as
 * `jsonb`): every string inside, member names too, must pass `text()`'s check.
 */
export function cleanJson<T extends z.ZodType>(schema: T): T {
	return schema.check((ctx) => {
		const problem = jsonTextProblem(ctx.value);
		if (problem) ctx.issues.push({ code: 'custom', message: problem.message, path: problem.path, input: ctx.value, continue: false });
	});
}

/**
 * A JSON value that can be stored whatever it holds: NUL and lone surrogates
 * become U+FFFD. Only for keeping what was refused, for diagnosis (a rejected
 * webhook delivery); accepted input is refused instead, never silently changed.
 */
export function storableJson(value: unknown): unknown {
	if (typeof value === 'string') return value.replace(/\0/g, '\uFFFD').toWellFormed();
	if (!value || typeof value !== 'object') return value;
	if (Array.isArray(value)) return value.map(storableJson);
	return Object.fromEntries(Object.entries(value).map(([key, member]) => [storableJson(key), storableJson(member)]));
}
