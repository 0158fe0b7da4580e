/** A domain rule broken by one input field: routes turn it into a field-level form error. */
export class FieldError extends Error {
	constructor(
		readonly field: string,
		message: string
	) {
		super(message);
		this.name = 'FieldError';
	}
}

/** The thing asked for is not there (a stale link, a deleted row). */
export class NotFoundError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'NotFoundError';
	}
}

/** The request was fine but collides with what already happened (judged already, taken by others). */
export class ConflictError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConflictError';
	}
}

/** Postgres unique_violation, from either driver. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
	const pg = postgresErrorOf(error);
	return pg?.code === '23505' && (!constraint || (pg.constraint_name ?? pg.constraint) === constraint);
}

export type PostgresError = { code: string; message: string; hint?: string; detail?: string; constraint_name?: string; constraint?: string };

/**
 * Postgres foreign_key_violation on insert or update: the row the input names
 * is not there (never was, or was deleted meanwhile). Answers the referenced
 * table, from the detail both drivers pass on (`… is not present in table "pair".`).
 */
export function missingReferenceOf(error: unknown): { table: string } | undefined {
	const pg = postgresErrorOf(error);
	if (pg?.code !== '23503') return undefined;
	const table = pg.detail?.match(/is not present in table "([^"]+)"/)?.[1];
	return table ? { table } : undefined;
}

/** The server's error under whatever wrapping the driver and drizzle added. */
export function postgresErrorOf(error: unknown): PostgresError | undefined {
	let e = error as (Partial<PostgresError> & { cause?: unknown }) | undefined;
	for (let depth = 0; e && depth < 4; depth++) {
		if (typeof e.code === 'string' && typeof e.message === 'string') return e as PostgresError;
		e = e.cause as typeof e;
	}
	return undefined;
}
