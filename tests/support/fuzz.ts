import * as devalue from 'devalue';
import type { Sql } from 'postgres';

/*
 * The fuzz matrix's machinery: bad bodies built from one valid payload per
 * route, sent to the production server, and what came back read as a status
 * and the names of the fields the answer blames.
 */

export const NUL = 'a\u0000b';
export const LONE_SURROGATE = 'a\ud800b';
/** Four times adapter-node's default BODY_SIZE_LIMIT (512K). */
export const OVER_LIMIT = 2 * 1024 * 1024;

export type Answer = { status: number; fields: string[]; text: string };

export type Sent = { method?: string; path: string; headers?: Record<string, string>; body?: BodyInit };

export type Case = {
	name: string;
	send: Sent;
	/** The answer must be a 400 whose errors name this field (JSON: the dotted path). */
	blames?: string;
	/** The answer's text must match (e.g. the line of an import). */
	says?: RegExp;
};

export type FormFields = Record<string, string | string[] | File>;

/** A form action's answer as `use:enhance` gets it: a failure carries its own status and the errors by field. */
export async function readAction(response: Response): Promise<Answer> {
	const text = await response.text();
	let parsed: { type?: string; status?: number; data?: string } | undefined;
	try {
		parsed = JSON.parse(text);
	} catch {
		return { status: response.status, fields: [], text };
	}
	if (parsed?.type === 'failure' || parsed?.type === 'success' || parsed?.type === 'redirect') {
		const data = parsed.data ? (devalue.parse(parsed.data) as { errors?: Record<string, string> } | null) : null;
		// devalue keeps values apart from their keys: the answer is read back as JSON to be searched
		return { status: parsed.status ?? response.status, fields: Object.keys(data?.errors ?? {}), text: JSON.stringify({ ...parsed, data }) };
	}
	return { status: response.status, fields: [], text };
}

/** A JSON endpoint's answer: `{ message, errors? }`. */
export async function readJson(response: Response): Promise<Answer> {
	const text = await response.text();
	try {
		const body = JSON.parse(text) as { errors?: unknown };
		const fields = body.errors && typeof body.errors === 'object' && !Array.isArray(body.errors) ? Object.keys(body.errors) : [];
		return { status: response.status, fields, text };
	} catch {
		return { status: response.status, fields: [], text };
	}
}

/** A form body as a browser sends it: lists as repeated fields, files as file parts. */
export function multipart(fields: FormFields): FormData {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) {
		if (Array.isArray(value)) for (const one of value) form.append(name, one);
		else form.append(name, value);
	}
	return form;
}

const MALFORMED_MULTIPART = {
	headers: { 'content-type': 'multipart/form-data; boundary=fuzz' },
	// no closing boundary: undici's formData() throws "Failed to parse body as FormData."
	body: '--fuzz\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue'
};

/** Every bad variant of one form action's valid fields. Lone surrogates cannot travel in a form: UTF-8 turns them into U+FFFD. */
export function formCases(path: string, fields: FormFields): Case[] {
	const texts = Object.entries(fields).filter(([, value]) => typeof value === 'string') as Array<[string, string]>;
	const withValue = (name: string, value: string): FormFields => ({ ...fields, [name]: value });
	return [
		...texts.map(([name, value]) => ({ name: `NUL in ${name}`, send: { path, body: multipart(withValue(name, value + NUL)) }, blames: name })),
		...(Object.keys(fields).length
			? [{ name: 'every field a file', send: { path, body: multipart(Object.fromEntries(Object.keys(fields).map((n) => [n, new File(['x'], 'x.txt')]))) } }]
			: []),
		{ name: 'malformed multipart', send: { path, ...MALFORMED_MULTIPART } },
		{ name: 'JSON instead of a form', send: { path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) } },
		{ name: 'body over the limit', send: { path, body: multipart({ ...fields, padding: 'x'.repeat(OVER_LIMIT) }) } }
	];
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every string in a JSON value, as dotted paths. */
function stringPaths(value: Json, at: string[] = []): string[][] {
	if (typeof value === 'string') return [at];
	if (!value || typeof value !== 'object') return [];
	return Object.entries(value).flatMap(([key, member]) => stringPaths(member, [...at, key]));
}

function replaced(value: Json, path: string[], next: (old: Json) => Json): Json {
	if (path.length === 0) return next(value);
	const [head, ...rest] = path;
	if (Array.isArray(value)) return value.map((member, i) => (String(i) === head ? replaced(member, rest, next) : member));
	return { ...(value as Record<string, Json>), [head!]: replaced((value as Record<string, Json>)[head!]!, rest, next) };
}

function wrongTypes(value: Json): Json {
	if (typeof value === 'string') return 7;
	if (typeof value === 'number' || typeof value === 'boolean') return 'seven';
	if (!value) return value;
	if (Array.isArray(value)) return value.map(wrongTypes);
	return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, wrongTypes(member)]));
}

/** Every bad variant of one JSON endpoint's valid body. */
export function jsonCases(method: string, path: string, body: Json): Case[] {
	const json = (value: unknown): Sent => ({ method, path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
	return [
		...stringPaths(body).flatMap((at) => [
			{ name: `NUL in ${at.join('.')}`, send: json(replaced(body, at, (old) => `${old}${NUL}`)), blames: at.join('.') },
			{ name: `lone surrogate in ${at.join('.')}`, send: json(replaced(body, at, (old) => `${old}${LONE_SURROGATE}`)), blames: at.join('.') }
		]),
		{ name: 'malformed JSON', send: { method, path, headers: { 'content-type': 'application/json' }, body: '{"' } },
		{ name: 'every field the wrong type', send: json(wrongTypes(body)) },
		{ name: 'an array for a body', send: json([body]) },
		{ name: 'malformed multipart', send: { method, path, ...MALFORMED_MULTIPART } },
		{ name: 'the JSON as text/plain', send: { method, path, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) } },
		{ name: 'body over the limit', send: json({ ...(body as object), padding: 'x'.repeat(OVER_LIMIT) }) }
	];
}

/** What every table holds, one digest each, so any insert, update or delete shows. */
export async function fingerprint(sql: Sql, ignore: readonly string[] = []): Promise<Record<string, string>> {
	const tables = await sql<Array<{ name: string }>>`
		select table_name as name from information_schema.tables
		where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`;
	const digests: Record<string, string> = {};
	for (const { name } of tables) {
		if (ignore.includes(name)) continue;
		const [row] = await sql.unsafe(`select count(*)::int as n, md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as digest from "${name}" t`);
		digests[name] = `${row!.n} rows, ${row!.digest}`;
	}
	return digests;
}

/** A stack frame, a SQL text or its parameters: what must never reach a response body. */
export const LEAK = /\n\s+at |Failed query|params:|invalid byte sequence|insert into|select .* from/i;
