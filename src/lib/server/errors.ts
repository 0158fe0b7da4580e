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
	let e = error as { code?: string; constraint_name?: string; constraint?: string; cause?: unknown } | undefined;
	for (let depth = 0; e && depth < 4; depth++) {
		if (e.code === '23505') return !constraint || (e.constraint_name ?? e.constraint) === constraint;
		e = e.cause as typeof e;
	}
	return false;
}
