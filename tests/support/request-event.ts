import type { Cookies, Handle, RequestEvent, ServerLoadEvent } from '@sveltejs/kit';
// @ts-expect-error SvelteKit ships no types for this internal entry point; see callHandle.
import { with_request_store } from '@sveltejs/kit/internal/server';
import { log } from '../../src/lib/server/log';
import type { Session, SessionUser } from '../../src/lib/server/auth/session';

// A RequestEvent good enough to call a load, an action, a +server handler or
// `handle` directly, so route code is tested against a real database without
// an HTTP server. What SvelteKit would send back (cookies, headers) is
// recorded for the test to read.

export type CookieOptions = Parameters<Cookies['set']>[2];
export type WrittenCookie = { value: string; options: CookieOptions };

/** Cookies as SvelteKit handles them: incoming ones from the request, plus what this request wrote. */
export class MemoryCookies implements Cookies {
	/** The Set-Cookie headers the response would carry, last write per name. */
	readonly written = new Map<string, WrittenCookie>();

	constructor(private readonly incoming: Record<string, string> = {}) {}

	get(name: string): string | undefined {
		const written = this.written.get(name);
		if (written) return written.options.maxAge === 0 ? undefined : written.value;
		return this.incoming[name];
	}

	getAll(): Array<{ name: string; value: string }> {
		const names = new Set([...Object.keys(this.incoming), ...this.written.keys()]);
		return [...names].flatMap((name) => {
			const value = this.get(name);
			return value === undefined ? [] : [{ name, value }];
		});
	}

	set(name: string, value: string, options: CookieOptions): void {
		// SvelteKit refuses a cookie without a path; so do we, so tests catch it.
		if (!options?.path) throw new Error(`Cookie "${name}" set without a path.`);
		this.written.set(name, { value, options: { ...options } });
	}

	delete(name: string, options: CookieOptions): void {
		this.set(name, '', { ...options, maxAge: 0 });
	}

	serialize(name: string, value: string, options: CookieOptions): string {
		const parts = [`${name}=${encodeURIComponent(value)}`];
		if (options.domain) parts.push(`Domain=${options.domain}`);
		parts.push(`Path=${options.path}`);
		if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
		if (options.expires) parts.push(`Expires=${options.expires.toUTCString()}`);
		if (options.httpOnly) parts.push('HttpOnly');
		if (options.secure) parts.push('Secure');
		if (options.sameSite) parts.push(`SameSite=${options.sameSite === true ? 'Strict' : options.sameSite}`);
		return parts.join('; ');
	}

	/** True when the response would tell the browser to drop the cookie. */
	cleared(name: string): boolean {
		return this.written.get(name)?.options.maxAge === 0;
	}
}

export type RequestEventOptions = {
	method?: string;
	/** Sent as a multipart form body, as a `<form method="POST">` would. */
	form?: Record<string, string> | FormData;
	headers?: Record<string, string>;
	/** Cookies the browser sends. */
	cookies?: Record<string, string>;
	user?: SessionUser | null;
	session?: Session | null;
	ip?: string;
	/** Defaults to the path; pass the real id (`/admin/users/[id]`) when the code under test reads it. */
	routeId?: string | null;
	params?: Record<string, string>;
	fetch?: typeof fetch;
	/** What a server load's `parent()` resolves to. */
	parentData?: Record<string, unknown>;
};

/**
 * The event plus the in-memory cookies and the headers set, so a test can
 * assert on what was written. It is also a server load's event (parent,
 * depends, untrack); `any` on the route generics lets the one event be passed
 * to any route's generated `Actions` / `PageServerLoad` / `RequestHandler`.
 */
export type TestRequestEvent = ServerLoadEvent<any, any, any> & {
	cookies: MemoryCookies;
	headers: Record<string, string>;
};

/** `url` may be a path (`/login?redirectTo=/admin`); it is resolved against http://localhost. */
export function requestEvent(url: string, options: RequestEventOptions = {}): TestRequestEvent {
	const target = new URL(url, 'http://localhost');
	const method = options.method ?? (options.form ? 'POST' : 'GET');
	const body = options.form instanceof FormData ? options.form : options.form ? toFormData(options.form) : undefined;
	const request = new Request(target, { method, body, headers: options.headers });
	const requestId = crypto.randomUUID();
	const headers: Record<string, string> = {};
	// Tracing is off, so nothing should call into these spans.
	const noSpan = {} as RequestEvent['tracing']['root'];
	return {
		request,
		url: target,
		locals: {
			user: options.user ?? null,
			session: options.session ?? null,
			requestId,
			log: log.child({ requestId, test: true })
		},
		cookies: new MemoryCookies(options.cookies),
		headers,
		getClientAddress: () => options.ip ?? '127.0.0.1',
		route: { id: options.routeId === undefined ? target.pathname : options.routeId },
		params: options.params ?? {},
		setHeaders(next: Record<string, string>) {
			for (const [name, value] of Object.entries(next)) {
				const key = name.toLowerCase();
				if (key === 'set-cookie') throw new Error('Use cookies.set, not setHeaders, for set-cookie.');
				if (key in headers) throw new Error(`"${name}" header is already set.`);
				headers[key] = value;
			}
		},
		fetch:
			options.fetch ??
			(async (input) => {
				throw new Error(`No network in route tests: pass options.fetch to answer ${String(input)}.`);
			}),
		platform: undefined,
		isDataRequest: false,
		isSubRequest: false,
		isRemoteRequest: false,
		tracing: { enabled: false, root: noSpan, current: noSpan },
		parent: async () => options.parentData ?? {},
		depends: () => {},
		untrack: (fn) => fn()
	};
}

function toFormData(fields: Record<string, string>): FormData {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) form.set(name, value);
	return form;
}

/**
 * What a load, action, guard or handle threw (a redirect, an HTTP error),
 * whether it threw at once or from its promise, so specs can say
 * `expect(await thrownBy(() => actions.default(event))).toMatchObject({ status: 303, location: '/' })`.
 * Fails the spec when nothing was thrown.
 */
export async function thrownBy(work: () => unknown): Promise<unknown> {
	try {
		await work();
	} catch (thrown) {
		return thrown;
	}
	throw new Error('Expected the call to throw (a redirect or an error), but it returned.');
}

type RequestStore = {
	event: RequestEvent;
	state: { tracing: { record_span: (span: { fn: (span: unknown) => unknown }) => unknown } };
};

/**
 * Runs a `handle` (e.g. hooks.server.ts's `sequence(...)`) on a test event.
 * `sequence()` reads SvelteKit's per-request store, which only the real server
 * sets up; this sets up the minimum it reads (tracing off). The store is a
 * SvelteKit internal, so a Kit upgrade may need this adjusted: the failure
 * then reads "Could not get the request store".
 */
export async function callHandle(
	handle: Handle,
	event: RequestEvent,
	resolve: (event: RequestEvent) => Response | Promise<Response> = () => new Response('resolved')
): Promise<Response> {
	const store: RequestStore = { event, state: { tracing: { record_span: ({ fn }) => fn(event.tracing.current) } } };
	const run = with_request_store as <T>(store: RequestStore, fn: () => T) => T;
	return run(store, () => handle({ event, resolve: async (next) => resolve(next) }));
}
