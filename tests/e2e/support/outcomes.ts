import type { ActionAnswer } from './app';
import { BASE_URL } from './server';

/*
 * How the authorization matrix reads an HTTP answer:
 *
 *   ok         2xx; a redirect anywhere but the sign-in page; an action's own
 *              validation failure (the guard let the request through)
 *   login      303 to /login?redirectTo=… (pages, actions); 401 under /api/
 *   forbidden  403
 *   missing    404 (the guard let the caller in; the thing asked for does not exist)
 *
 * Anything else is spelled out ("unexpected 500") so the matrix's diff says what happened.
 */

function isLoginRedirect(location: string): boolean {
	const url = new URL(location, BASE_URL);
	return url.pathname === '/login' && url.searchParams.has('redirectTo');
}

/** A page or endpoint answer. `validationIsOk`: the endpoint takes a body, so 400/422 means the guard let it in. */
export function classify(status: number, location: string | undefined, path: string, validationIsOk: boolean): string {
	const api = path.startsWith('/api/');
	if (status >= 200 && status < 300) return 'ok';
	if (status >= 300 && status < 400 && location) {
		if (!isLoginRedirect(location)) return 'ok';
		return api ? `unexpected redirect to ${location} (an API answers 401)` : 'login';
	}
	if (status === 401 && api) return 'login';
	if (status === 403) return 'forbidden';
	if (status === 404) return 'missing';
	if (validationIsOk && (status === 400 || status === 422)) return 'ok';
	return `unexpected ${status}`;
}

/** A form action posted as `use:enhance` does: the JSON `type` tells the action's own answer from a guard's. */
export function classifyAction({ httpStatus, body }: ActionAnswer, path: string): string {
	if (httpStatus === 200 && body.type === 'success') return 'ok';
	if (httpStatus === 200 && body.type === 'redirect') return classify(303, body.location, path, false);
	// `fail()` comes from the action's own code, after its guard: the caller got in.
	if (httpStatus === 200 && body.type === 'failure')
		return body.status === 401 || body.status === 403 ? `unexpected failure ${body.status} (guards throw)` : 'ok';
	const outcome = classify(httpStatus, undefined, path, false);
	return outcome === 'ok' ? `unexpected answer ${httpStatus} ${JSON.stringify(body)}` : outcome;
}
