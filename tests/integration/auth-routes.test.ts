import { isHttpError, isRedirect } from '@sveltejs/kit';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import * as sessions from '$lib/server/auth/session';
import { mayUseArena, requireRole, requireUser } from '$lib/server/auth/guard';
import { accessFor } from '$lib/server/auth/policy';
import { session } from '$lib/server/db/schema';
import type { Role } from '$lib/server/db/schema';
import { actions as loginActions } from '../../src/routes/login/+page.server';
import { actions as logoutActions } from '../../src/routes/logout/+page.server';
import { actions as accountActions, load as accountLoad } from '../../src/routes/account/+page.server';
import { handle } from '../../src/hooks.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { callHandle, requestEvent, thrownBy, type RequestEventOptions, type TestRequestEvent } from '../support/request-event';
import * as sessionHelpers from '../support/sessions';

const PASSWORD = 'correct horse battery';
const GENERIC = 'That email and password do not match an active account.';

let database: TestDatabase;
const members = {} as Record<Role, string>;
let nextAddress = 1;

/** Each spec signs in from its own address, so the per-address throttle never couples specs. */
function freshIp(): string {
	return `198.51.100.${nextAddress++}`;
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	for (const role of ['annotator', 'reviewer', 'admin'] as const) {
		({ id: members[role] } = await accounts.createUser(
			database.db,
			{ email: `${role}@example.com`, displayName: `The ${role}`, role, password: PASSWORD },
			{ id: null }
		));
	}
});

afterAll(async () => {
	await runtime.stop();
});

async function sessionCount(): Promise<number> {
	const [row] = await database.db.select({ n: count() }).from(session);
	return row?.n ?? 0;
}

/** A real session for `userId`: its cookie token plus the locals hooks would set. */
const signedIn = (userId: string) => sessionHelpers.signedIn(database.db, userId);
const stillValid = (token: string) => sessionHelpers.stillValid(database.db, token);

function loginEvent(form: Record<string, string>, options: RequestEventOptions & { query?: string } = {}): TestRequestEvent {
	return requestEvent(`/login${options.query ?? ''}`, { form, ip: freshIp(), ...options });
}

describe('POST /login', () => {
	it('sets an httpOnly, same-site session cookie for the whole site and redirects to redirectTo', async () => {
		const event = loginEvent(
			{ email: ' Annotator@Example.com ', password: PASSWORD },
			{ query: '?redirectTo=%2Fqueue%3Fpersona%3Dlynn' }
		);
		const thrown = await thrownBy(() => loginActions.default!(event));
		expect(isRedirect(thrown) && { status: thrown.status, location: thrown.location }).toEqual({
			status: 303,
			location: '/queue?persona=lynn'
		});
		const cookie = event.cookies.written.get(sessions.SESSION_COOKIE);
		expect(cookie?.options).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/', secure: false });
		const [row] = await database.db
			.select()
			.from(session)
			.where(eq(session.id, sessions.sessionIdFromToken(cookie?.value ?? '')));
		expect(row?.userId).toBe(members.annotator);
		expect(cookie?.options.expires?.getTime()).toBe(row?.expiresAt.getTime());
		expect(row?.ip).toBe(event.getClientAddress());
	});

	it('marks the cookie secure when the site is served over https', async () => {
		const event = requestEvent('https://studio.example/login', {
			form: { email: 'reviewer@example.com', password: PASSWORD },
			ip: freshIp()
		});
		await thrownBy(() => loginActions.default!(event));
		expect(event.cookies.written.get(sessions.SESSION_COOKIE)?.options.secure).toBe(true);
	});

	it.each([
		['no redirectTo', ''],
		['a protocol-relative URL', '?redirectTo=%2F%2Fevil.example'],
		['an absolute URL', '?redirectTo=https%3A%2F%2Fevil.example'],
		['a backslash path', '?redirectTo=%2F%5Cevil.example'],
		['a tab the browser would drop', '?redirectTo=%2F%09%2Fevil.example'],
		['a newline the browser would drop', '?redirectTo=%2F%0A%2Fevil.example']
	])('sends the member home, never off-site, for %s', async (_case, query) => {
		const event = loginEvent({ email: 'reviewer@example.com', password: PASSWORD }, { query });
		const thrown = await thrownBy(() => loginActions.default!(event));
		expect(isRedirect(thrown) && thrown.location).toBe('/');
	});

	it('answers bad input with 400 and field errors, and writes no session', async () => {
		const before = await sessionCount();
		const result = await loginActions.default!(loginEvent({ email: 'not an email', password: '' }));
		expect(result).toMatchObject({
			status: 400,
			data: { errors: { email: expect.any(String), password: expect.any(String) }, values: { email: 'not an email' } }
		});
		expect(await loginActions.default!(loginEvent({}))).toMatchObject({
			status: 400,
			data: { errors: { email: expect.any(String), password: expect.any(String) } }
		});
		expect(await sessionCount()).toBe(before);
	});

	it('answers a wrong password exactly as an unknown email: 400, one message, no session', async () => {
		const before = await sessionCount();
		const wrong = await loginActions.default!(loginEvent({ email: 'admin@example.com', password: 'not the password' }));
		const unknown = await loginActions.default!(loginEvent({ email: 'nobody@example.com', password: 'not the password' }));
		expect(wrong).toMatchObject({ status: 400, data: { errors: { form: GENERIC } } });
		expect(unknown).toMatchObject({ status: 400, data: { errors: { form: GENERIC } } });
		expect(JSON.stringify(wrong)).not.toContain('not the password');
		expect(await sessionCount()).toBe(before);
	});

	it('answers 429 with how long to wait once the account is locked', async () => {
		await accounts.createUser(
			database.db,
			{ email: 'hammered@example.com', displayName: 'Hammered', role: 'annotator', password: PASSWORD },
			{ id: null }
		);
		for (let i = 0; i < 5; i++) await loginActions.default!(loginEvent({ email: 'hammered@example.com', password: 'guess ' + i }));
		const result = await loginActions.default!(loginEvent({ email: 'hammered@example.com', password: PASSWORD }));
		expect(result).toMatchObject({ status: 429, data: { errors: { form: expect.stringMatching(/wait 1 minute\b/) } } });
	});
});

describe('POST /logout', () => {
	it('deletes the session row and tells the browser to drop the cookie', async () => {
		const me = await signedIn(members.reviewer);
		const event = requestEvent('/logout', { form: {}, user: me.user, session: me.session, cookies: { session: me.token } });
		const thrown = await thrownBy(() => logoutActions.default!(event));
		expect(isRedirect(thrown) && { status: thrown.status, location: thrown.location }).toEqual({ status: 303, location: '/login' });
		expect(await database.db.select().from(session).where(eq(session.id, me.session.id))).toEqual([]);
		expect(event.cookies.cleared(sessions.SESSION_COOKIE)).toBe(true);
		expect(event.cookies.written.get(sessions.SESSION_COOKIE)?.options.path).toBe('/');
	});
});

describe('/account', () => {
	it("shows the signed-in member's email, name and role", async () => {
		const me = await signedIn(members.annotator);
		const data = await accountLoad(requestEvent('/account', { user: me.user, session: me.session }));
		expect(data).toEqual({ account: { email: 'annotator@example.com', displayName: 'The annotator', role: 'annotator' } });
	});

	it('sends an anonymous visitor to sign in first, and back afterwards', async () => {
		const thrown = await thrownBy(() => accountLoad(requestEvent('/account')));
		expect(isRedirect(thrown) && thrown.location).toBe('/login?redirectTo=%2Faccount');
		const posted = await thrownBy(() => accountActions.password!(requestEvent('/account?/password', { form: {} })));
		expect(isRedirect(posted) && posted.status).toBe(303);
	});

	describe('changing the password', () => {
		let changer: string;

		beforeAll(async () => {
			({ id: changer } = await accounts.createUser(
				database.db,
				{ email: 'changer@example.com', displayName: 'Changer', role: 'reviewer', password: PASSWORD },
				{ id: null }
			));
		});

		const twice = (password: string) => ({ newPassword: password, confirmPassword: password });

		async function change(me: Awaited<ReturnType<typeof signedIn>>, form: Record<string, string>) {
			return accountActions.password!(requestEvent('/account?/password', { form, user: me.user, session: me.session }));
		}

		it('refuses a wrong current password on that field, and echoes no password', async () => {
			const me = await signedIn(changer);
			const result = await change(me, { currentPassword: 'not my password', ...twice('brand new secret') });
			expect(result).toMatchObject({ status: 400, data: { errors: { currentPassword: expect.any(String) } } });
			expect(JSON.stringify(result)).not.toMatch(/not my password|brand new secret/);
		});

		it('refuses a confirmation that differs from the new password', async () => {
			const me = await signedIn(changer);
			const result = await change(me, {
				currentPassword: PASSWORD,
				newPassword: 'brand new secret',
				confirmPassword: 'brand new secrte'
			});
			expect(result).toMatchObject({ status: 400, data: { errors: { confirmPassword: expect.any(String) }, values: {} } });
		});

		it('refuses a new password shorter than ten characters', async () => {
			const me = await signedIn(changer);
			const result = await change(me, { currentPassword: PASSWORD, ...twice('short') });
			expect(result).toMatchObject({ status: 400, data: { errors: { newPassword: expect.any(String) } } });
			expect(await accounts.signIn(database.db, 'changer@example.com', PASSWORD, null)).toMatchObject({ ok: true });
		});

		it('refuses a new password that is the current one', async () => {
			const me = await signedIn(changer);
			const result = await change(me, { currentPassword: PASSWORD, ...twice(PASSWORD) });
			expect(result).toMatchObject({ status: 400, data: { errors: { newPassword: expect.any(String) } } });
		});

		it('locks out guessing the current password from a stolen session, like sign-in does', async () => {
			const { id: victim } = await accounts.createUser(
				database.db,
				{ email: 'guessed@example.com', displayName: 'Guessed', role: 'annotator', password: PASSWORD },
				{ id: null }
			);
			const thief = await signedIn(victim);
			for (let i = 0; i < 5; i++) await change(thief, { currentPassword: `guess ${i} of many`, ...twice('taken over!!') });
			const right = await change(thief, { currentPassword: PASSWORD, ...twice('taken over!!') });
			expect(right).toMatchObject({ status: 400, data: { errors: { currentPassword: expect.stringMatching(/Too many/) } } });
			expect(await accounts.signIn(database.db, 'guessed@example.com', PASSWORD, null)).toMatchObject({ reason: 'throttled' });
		});

		it('changes the password, keeps this session and signs every other device out', async () => {
			const me = await signedIn(changer);
			const phone = await signedIn(changer);
			const result = await change(me, { currentPassword: PASSWORD, ...twice('brand new secret') });
			expect(result).toEqual({ passwordChanged: true });
			expect(await stillValid(me.token)).toBe(true);
			expect(await stillValid(phone.token)).toBe(false);
			expect(await accounts.signIn(database.db, 'changer@example.com', 'brand new secret', null)).toMatchObject({ ok: true });
			expect(await accounts.signIn(database.db, 'changer@example.com', PASSWORD, null)).toEqual({ ok: false, reason: 'invalid' });
		});
	});
});

describe('handle (hooks.server.ts)', () => {
	const resolved = new Response('page');
	const resolve = async () => resolved;

	async function visit(path: string, token?: string) {
		const event = requestEvent(path, { cookies: token ? { session: token } : {}, routeId: null });
		try {
			return { event, response: await callHandle(handle, event, resolve) };
		} catch (thrown) {
			return { event, thrown };
		}
	}

	it('sends an anonymous visitor of /admin to sign in, remembering where they were going', async () => {
		const { thrown } = await visit('/admin?tab=users');
		expect(isRedirect(thrown) && { status: thrown.status, location: thrown.location }).toEqual({
			status: 303,
			location: '/login?redirectTo=%2Fadmin%3Ftab%3Dusers'
		});
	});

	it('answers 401, not a redirect, to an anonymous API call', async () => {
		const { thrown } = await visit('/api/v1/queue/next');
		expect(isHttpError(thrown) && thrown.status).toBe(401);
	});

	it('answers 403 to an annotator on /admin and to a reviewer on /admin/users', async () => {
		const annotator = await signedIn(members.annotator);
		const reviewer = await signedIn(members.reviewer);
		const first = await visit('/admin', annotator.token);
		const second = await visit('/admin/users', reviewer.token);
		expect(isHttpError(first.thrown) && first.thrown.status).toBe(403);
		expect(isHttpError(second.thrown) && second.thrown.status).toBe(403);
	});

	it('lets an admin through to /admin with the user and session on locals', async () => {
		const admin = await signedIn(members.admin);
		const { event, response } = await visit('/admin', admin.token);
		expect(response).toBe(resolved);
		expect(event.locals.user?.id).toBe(members.admin);
		expect(event.locals.session?.id).toBe(admin.session.id);
		expect(response?.headers.get('x-request-id')).toBe(event.locals.requestId);
		// The cookie is written again with the (possibly slid) expiry.
		expect(event.cookies.written.get(sessions.SESSION_COOKIE)?.value).toBe(admin.token);
	});

	it('lets anyone reach the public sign-in page', async () => {
		const { response } = await visit('/login');
		expect(response).toBe(resolved);
	});

	it('treats a stale token as anonymous and clears its cookie', async () => {
		const { event, thrown } = await visit('/', sessions.generateSessionToken());
		expect(event.locals.user).toBeNull();
		expect(event.cookies.cleared(sessions.SESSION_COOKIE)).toBe(true);
		expect(isRedirect(thrown) && thrown.status).toBe(303);
	});
});

describe('policy and guards', () => {
	it('opens only the listed public paths and denies by default', () => {
		expect(accessFor('/login')).toEqual({ kind: 'public' });
		expect(accessFor('/login/elsewhere')).toEqual({ kind: 'user' });
		expect(accessFor('/api/v1/hooks/storage')).toEqual({ kind: 'public' });
		expect(accessFor('/api/v1/queue')).toEqual({ kind: 'user' });
		expect(accessFor('/admin/users')).toEqual({ kind: 'roles', roles: ['admin'] });
		expect(accessFor('/administrator')).toEqual({ kind: 'user' });
		expect(accessFor('/review')).toEqual({ kind: 'roles', roles: ['reviewer', 'admin'] });
		expect(accessFor('/account')).toEqual({ kind: 'user' });
		expect(accessFor('/arena')).toEqual({ kind: 'arena' });
		expect(accessFor('/api/v1/arena/battles')).toEqual({ kind: 'arena' });
		expect(accessFor('/arenas')).toEqual({ kind: 'user' });
	});

	it('opens arena mode to admins always and to others only while an admin trusts them', () => {
		expect(mayUseArena({ role: 'admin' })).toBe(true);
		expect(mayUseArena({ role: 'reviewer' })).toBe(false);
		expect(mayUseArena({ role: 'annotator', arenaAccess: false })).toBe(false);
		expect(mayUseArena({ role: 'annotator', arenaAccess: true })).toBe(true);
	});

	it('requireRole redirects an anonymous page visit, answers 401 on the API and 403 for the wrong role', async () => {
		const annotator = await signedIn(members.annotator);
		const page = await thrownBy(() => requireRole(requestEvent('/admin/users'), 'admin'));
		const api = await thrownBy(() => requireRole(requestEvent('/api/v1/datasets', { routeId: '/api/v1/datasets' }), 'admin'));
		const wrongRole = await thrownBy(() => requireRole(requestEvent('/admin', { user: annotator.user }), 'admin'));
		expect(isRedirect(page) && page.location).toBe('/login?redirectTo=%2Fadmin%2Fusers');
		expect(isHttpError(api) && api.status).toBe(401);
		expect(isHttpError(wrongRole) && wrongRole.status).toBe(403);
		expect(requireRole(requestEvent('/review', { user: annotator.user }), 'annotator', 'reviewer')).toBe(annotator.user);
		expect(requireUser(requestEvent('/account', { user: annotator.user }))).toBe(annotator.user);
	});
});
