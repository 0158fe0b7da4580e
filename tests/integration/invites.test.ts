import { isRedirect } from '@sveltejs/kit';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import * as invites from '$lib/server/users/invites';
import * as sessions from '$lib/server/auth/session';
import { auditEvent, invite, user } from '$lib/server/db/schema';
import { FieldError, NotFoundError } from '$lib/server/errors';
import { actions as usersActions } from '../../src/routes/admin/users/+page.server';
import { actions as inviteActions, load as inviteLoad } from '../../src/routes/invite/[token]/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { requestEvent, thrownBy, type TestRequestEvent } from '../support/request-event';

const PASSWORD = 'correct horse battery';
const DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

let database: TestDatabase;
let admin: { id: string; email: string; displayName: string; role: 'admin' };
let nextEmail = 1;

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	const { id } = await accounts.createUser(database.db, { email: 'root@example.com', displayName: 'Root', role: 'admin', password: PASSWORD }, { id: null });
	admin = { id, email: 'root@example.com', displayName: 'Root', role: 'admin' };
});

afterAll(async () => {
	await runtime.stop();
});

/** A fresh invite for an address no other spec uses. */
async function invited(role: 'annotator' | 'reviewer' | 'admin' = 'annotator') {
	const email = `guest-${nextEmail++}@example.com`;
	const created = await invites.createInvite(database.db, { email, role }, { id: admin.id });
	return { ...created, email };
}

async function rowsIn(table: typeof user | typeof invite | typeof auditEvent): Promise<number> {
	return (await database.db.select({ n: count() }).from(table))[0]?.n ?? 0;
}

async function storedInvite(id: string) {
	const [row] = await database.db.select().from(invite).where(eq(invite.id, id));
	return row;
}

const accept = (token: string) => invites.acceptInvite(database.db, token, { displayName: 'Guest', password: PASSWORD });

describe('invites', () => {
	it('hands out the token once and stores only its SHA-256, valid for 7 days', async () => {
		const { id, token, expiresAt } = await invited('reviewer');
		const row = await storedInvite(id);
		expect(row?.tokenHash).toBe(sessions.sessionIdFromToken(token));
		expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(row)).not.toContain(token);
		expect(Math.abs(expiresAt.getTime() - Date.now() - 7 * DAY_MS)).toBeLessThan(60_000);
		expect(await invites.findOpenInvite(database.db, token)).toMatchObject({ ok: true, invite: { id, role: 'reviewer' } });
	});

	it('refuses to invite an email that already has an account, on the email field', async () => {
		const before = await rowsIn(invite);
		const thrown = await thrownBy(() => invites.createInvite(database.db, { email: 'root@example.com', role: 'admin' }, { id: admin.id }));
		expect(thrown).toBeInstanceOf(FieldError);
		expect((thrown as FieldError).field).toBe('email');
		expect(await rowsIn(invite)).toBe(before);
	});

	it('withdraws the older open invite when the same email is invited again', async () => {
		const first = await invited('annotator');
		const second = await invites.createInvite(database.db, { email: first.email, role: 'reviewer' }, { id: admin.id });
		expect(await invites.findOpenInvite(database.db, first.token)).toMatchObject({ ok: false, reason: 'revoked' });
		expect(await invites.findOpenInvite(database.db, second.token)).toMatchObject({ ok: true, invite: { role: 'reviewer' } });
		const open = await invites.listOpenInvites(database.db);
		expect(open.filter((row) => row.email === first.email)).toMatchObject([{ id: second.id, invitedBy: 'Root' }]);
	});

	it('creates the invited account with the invited email and role, and closes the invite', async () => {
		const { id, token, email } = await invited('reviewer');
		const { userId } = await accept(token);
		expect(await accounts.findUserByEmail(database.db, email)).toEqual({ id: userId, role: 'reviewer' });
		expect(await accounts.signIn(database.db, email, PASSWORD, null)).toEqual({ ok: true, userId });
		expect((await storedInvite(id))?.acceptedAt).toBeInstanceOf(Date);
		const [entry] = await database.db.select().from(auditEvent).where(and(eq(auditEvent.action, 'invite.accept'), eq(auditEvent.targetId, userId)));
		expect(entry).toMatchObject({ actorId: userId, details: { inviteId: id, email, role: 'reviewer' } });
	});

	it('accepts once: a retry fails with a clear message and creates nothing', async () => {
		const { token } = await invited();
		await accept(token);
		const users = await rowsIn(user);
		const events = await rowsIn(auditEvent);
		const again = await thrownBy(() => accept(token));
		expect(again).toBeInstanceOf(invites.InviteClosedError);
		expect((again as Error).message).toMatch(/already been used/);
		expect([await rowsIn(user), await rowsIn(auditEvent)]).toEqual([users, events]);
	});

	it('lets exactly one of two simultaneous accepts through', async () => {
		const { token, email } = await invited();
		const outcomes = await Promise.allSettled([accept(token), accept(token)]);
		expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
		const [refused] = outcomes.filter((outcome) => outcome.status === 'rejected');
		expect(refused?.reason).toBeInstanceOf(invites.InviteClosedError);
		expect(await database.db.select({ id: user.id }).from(user).where(eq(user.email, email))).toHaveLength(1);
	});

	it('refuses an expired, a withdrawn and an unknown invite', async () => {
		const expired = await invited();
		await database.db.update(invite).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(invite.id, expired.id));
		const withdrawn = await invited();
		await invites.revokeInvite(database.db, withdrawn.id, { id: admin.id });
		const users = await rowsIn(user);
		for (const [token, reason] of [[expired.token, 'expired'], [withdrawn.token, 'revoked'], ['no-such-token', 'unknown']] as const) {
			expect(await invites.findOpenInvite(database.db, token)).toMatchObject({ ok: false, reason, message: expect.any(String) });
			expect(await thrownBy(() => accept(token))).toMatchObject({ reason });
		}
		expect(await rowsIn(user)).toBe(users);
		expect((await invites.listOpenInvites(database.db)).map((row) => row.id)).not.toContain(expired.id);
	});

	it('rolls the whole accept back when the account cannot be created, leaving the invite open', async () => {
		const { id, token, email } = await invited();
		await accounts.createUser(database.db, { email, displayName: 'Made meanwhile', role: 'annotator', password: PASSWORD }, { id: admin.id });
		expect(await thrownBy(() => accept(token))).toMatchObject({ field: 'email' });
		expect((await storedInvite(id))?.acceptedAt).toBeNull();
	});

	it('withdraws an open invite once; a second withdrawal is a NotFoundError', async () => {
		const { id } = await invited();
		await invites.revokeInvite(database.db, id, { id: admin.id });
		expect(await thrownBy(() => invites.revokeInvite(database.db, id, { id: admin.id }))).toBeInstanceOf(NotFoundError);
	});
});

describe('invite routes', () => {
	const adminUser = () => ({ id: admin.id, email: admin.email, displayName: admin.displayName, role: admin.role });

	function forLoad(event: TestRequestEvent) {
		return Object.assign(event, { parent: async () => ({ user: event.locals.user }), depends: () => {}, untrack: <T>(fn: () => T) => fn() });
	}

	function acceptEvent(token: string, form: Record<string, string>): TestRequestEvent {
		return requestEvent(`/invite/${token}`, { form, routeId: '/invite/[token]', params: { token } });
	}

	it('lets an admin create an invite link, shown once, or refuses bad input on its field', async () => {
		const event = (form: Record<string, string>) =>
			requestEvent('/admin/users?/invite', { form, routeId: '/admin/users', user: adminUser() });
		const before = await rowsIn(invite);
		expect(await usersActions.invite!(event({ email: 'x', role: 'boss' }))).toMatchObject({
			status: 400,
			data: { errors: { email: expect.any(String), role: expect.any(String) } }
		});
		expect(await usersActions.invite!(event({ email: 'root@example.com', role: 'admin' }))).toMatchObject({
			status: 400,
			data: { errors: { email: expect.stringContaining('already exists') } }
		});
		expect(await rowsIn(invite)).toBe(before);
		const result = await usersActions.invite!(event({ email: 'Linked@Example.com', role: 'annotator' }));
		const link = (result as { invited: { link: string } }).invited.link;
		expect(link).toMatch(/^http:\/\/localhost\/invite\/[a-z2-7]{32}$/);
		expect(await invites.findOpenInvite(database.db, link.split('/').pop()!)).toMatchObject({ ok: true, invite: { email: 'linked@example.com' } });
	});

	it('shows the open invite to anyone, without letting the link leak through Referer', async () => {
		const { token, email } = await invited('reviewer');
		const event = forLoad(requestEvent(`/invite/${token}`, { routeId: '/invite/[token]', params: { token } }));
		expect(await inviteLoad(event)).toMatchObject({ closed: null, invite: { email, role: 'reviewer' } });
		expect(event.headers['referrer-policy']).toBe('no-referrer');
		const unknown = forLoad(requestEvent('/invite/nope', { routeId: '/invite/[token]', params: { token: 'nope' } }));
		expect(await inviteLoad(unknown)).toMatchObject({ closed: expect.stringMatching(/not valid/), invite: null });
	});

	it('refuses a bad form field by field, echoing no password, and writes nothing', async () => {
		const { token, id } = await invited();
		const before = [await rowsIn(user), await rowsIn(auditEvent)];
		const result = await inviteActions.default!(acceptEvent(token, { displayName: '', password: 'short', confirmPassword: 'other' }));
		expect(result).toMatchObject({ status: 400, data: { errors: { displayName: expect.any(String), password: expect.any(String) }, values: { displayName: '' } } });
		const mistyped = await inviteActions.default!(acceptEvent(token, { displayName: 'Guest', password: PASSWORD, confirmPassword: 'correct horse batery' }));
		expect(mistyped).toMatchObject({ status: 400, data: { errors: { confirmPassword: expect.any(String) } } });
		expect(JSON.stringify([result, mistyped])).not.toMatch(/short|horse/);
		expect([await rowsIn(user), await rowsIn(auditEvent)]).toEqual(before);
		expect((await storedInvite(id))?.acceptedAt).toBeNull();
	});

	it('signs the new member in and sends them home; the same link then answers 410', async () => {
		const { token, email } = await invited('reviewer');
		const event = acceptEvent(token, { displayName: 'New Reviewer', password: PASSWORD, confirmPassword: PASSWORD });
		const thrown = await thrownBy(() => inviteActions.default!(event));
		expect(isRedirect(thrown) && { status: thrown.status, location: thrown.location }).toEqual({ status: 303, location: '/' });
		const cookie = event.cookies.written.get(sessions.SESSION_COOKIE);
		expect(cookie?.options).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });
		const validated = await sessions.validateSessionToken(database.db, cookie?.value ?? '', DAYS);
		expect(validated.user).toMatchObject({ email, displayName: 'New Reviewer', role: 'reviewer' });

		const again = await inviteActions.default!(acceptEvent(token, { displayName: 'Twice', password: PASSWORD, confirmPassword: PASSWORD }));
		expect(again).toMatchObject({ status: 410, data: { errors: { form: expect.stringMatching(/already been used/) } } });
		const page = forLoad(requestEvent(`/invite/${token}`, { routeId: '/invite/[token]', params: { token } }));
		expect(await inviteLoad(page)).toMatchObject({ closed: expect.stringMatching(/already been used/), invite: null });
	});

	it('answers an expired invite with 410 and a clear message', async () => {
		const { token, id } = await invited();
		await database.db.update(invite).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(invite.id, id));
		const result = await inviteActions.default!(acceptEvent(token, { displayName: 'Late', password: PASSWORD, confirmPassword: PASSWORD }));
		expect(result).toMatchObject({ status: 410, data: { errors: { form: expect.stringMatching(/expired/) } } });
	});
});
