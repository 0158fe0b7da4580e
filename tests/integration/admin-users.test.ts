import { isHttpError, isRedirect } from '@sveltejs/kit';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as audit from '$lib/server/audit';
import * as accounts from '$lib/server/users/accounts';
import * as directory from '$lib/server/users/directory';
import { auditEvent, invite, session, user, type Role } from '$lib/server/db/schema';
import { actions as usersActions, load as usersLoad } from '../../src/routes/admin/users/+page.server';
import { actions as userActions, load as userLoad } from '../../src/routes/admin/users/[id]/+page.server';
import { load as overviewLoad } from '../../src/routes/admin/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { requestEvent, thrownBy, type RequestEventOptions, type TestRequestEvent } from '../support/request-event';
import * as sessionHelpers from '../support/sessions';

const PASSWORD = 'correct horse battery';

let database: TestDatabase;
let admin: Awaited<ReturnType<typeof signedIn>>;
let annotator: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	admin = await signedIn(await member('root@example.com', 'admin'));
	annotator = await signedIn(await member('ann@example.com', 'annotator'));
});

afterAll(async () => {
	await runtime.stop();
});

async function member(email: string, role: Role): Promise<string> {
	const created = await accounts.createUser(database.db, { email, displayName: email.split('@')[0]!, role, password: PASSWORD }, { id: null });
	return created.id;
}

const signedIn = (userId: string) => sessionHelpers.signedIn(database.db, userId);
const stillValid = (token: string) => sessionHelpers.stillValid(database.db, token);

/** Rows in every table these forms write, to prove a refused form wrote nothing. */
async function writes(): Promise<number[]> {
	return Promise.all([user, invite, auditEvent].map(async (table) => (await database.db.select({ n: count() }).from(table))[0]?.n ?? 0));
}

type As = { as?: Awaited<ReturnType<typeof signedIn>> | null };

function adminEvent(path: string, routeId: string, options: RequestEventOptions & As = {}): TestRequestEvent {
	const me = options.as === undefined ? admin : options.as;
	return requestEvent(path, { routeId, user: me?.user ?? null, session: me?.session ?? null, ...options });
}

/** What a load needs beyond a RequestEvent; these pages use none of it. */
function forLoad(event: TestRequestEvent) {
	return Object.assign(event, { parent: async () => ({ user: event.locals.user }), depends: () => {}, untrack: <T>(fn: () => T) => fn() });
}

const seeded = [
	{ email: 'ada@dir.test', displayName: 'Ada Lovelace', role: 'admin', disabled: false, created: '2024-01-03' },
	{ email: 'bob_smith@dir.test', displayName: 'bob', role: 'annotator', disabled: true, created: '2024-01-05' },
	{ email: 'bobxsmith@dir.test', displayName: 'Robert', role: 'annotator', disabled: false, created: '2024-01-01' },
	{ email: 'carol@dir.test', displayName: 'Carol 100%', role: 'reviewer', disabled: false, created: '2024-01-06' },
	{ email: 'dan@dir.test', displayName: 'Dan', role: 'annotator', disabled: false, created: '2024-01-02' },
	{ email: 'eve@dir.test', displayName: 'eve', role: 'reviewer', disabled: true, created: '2024-01-04' }
] as const;

describe('directory.listUsers', () => {
	beforeAll(async () => {
		const passwordHash = 'not-a-real-hash';
		await database.db.insert(user).values([
			...seeded.map((p) => ({ ...p, passwordHash, disabledAt: p.disabled ? new Date() : null, createdAt: new Date(p.created) })),
			...Array.from({ length: 25 }, (_, i) => ({
				email: `page-${String(i + 1).padStart(2, '0')}@pages.test`,
				displayName: `Page ${i + 1}`,
				role: 'annotator' as const,
				passwordHash
			}))
		]);
	});

	async function emails(query: Partial<directory.UserQuery>): Promise<string[]> {
		const base = directory.userQuerySchema.parse(new URLSearchParams('q=dir.test'));
		const { rows } = await directory.listUsers(database.db, { ...base, ...query });
		return rows.map((row) => row.email.replace('@dir.test', ''));
	}

	it.each([
		['email', 'asc', ['ada', 'bob_smith', 'bobxsmith', 'carol', 'dan', 'eve']],
		['displayName', 'asc', ['ada', 'bob_smith', 'carol', 'dan', 'eve', 'bobxsmith']],
		['role', 'asc', ['bob_smith', 'bobxsmith', 'dan', 'carol', 'eve', 'ada']],
		['role', 'desc', ['ada', 'carol', 'eve', 'bob_smith', 'bobxsmith', 'dan']],
		['status', 'asc', ['ada', 'bobxsmith', 'carol', 'dan', 'bob_smith', 'eve']],
		['createdAt', 'desc', ['carol', 'bob_smith', 'eve', 'ada', 'dan', 'bobxsmith']]
	] as const)('sorts by %s %s, names case-insensitively and roles by rank', async (sort, dir, expected) => {
		expect(await emails({ sort, dir })).toEqual(expected);
	});

	it('filters on email or name, ignoring case, and treats % and _ as plain characters', async () => {
		expect(await emails({ q: 'SMITH', sort: 'email', dir: 'asc' })).toEqual(['bob_smith', 'bobxsmith']);
		expect(await emails({ q: 'b_s' })).toEqual(['bob_smith']);
		expect(await emails({ q: '%' })).toEqual(['carol']);
		expect(await emails({ q: 'lovelace' })).toEqual(['ada']);
	});

	it('filters by role and by status, together with the text', async () => {
		expect(await emails({ role: 'annotator', sort: 'email', dir: 'asc' })).toEqual(['bob_smith', 'bobxsmith', 'dan']);
		expect(await emails({ status: 'disabled', sort: 'email', dir: 'asc' })).toEqual(['bob_smith', 'eve']);
		expect(await emails({ role: 'reviewer', status: 'active' })).toEqual(['carol']);
	});

	it('pages with the total of all matching rows, and a page past the end is empty with the same total', async () => {
		const query = directory.userQuerySchema.parse(new URLSearchParams('q=pages.test&sort=email&dir=asc&pageSize=10'));
		const first = await directory.listUsers(database.db, query);
		const third = await directory.listUsers(database.db, { ...query, page: 3 });
		const beyond = await directory.listUsers(database.db, { ...query, page: 4 });
		expect(first.total).toBe(25);
		expect(first.rows.map((row) => row.email)).toEqual(Array.from({ length: 10 }, (_, i) => `page-${String(i + 1).padStart(2, '0')}@pages.test`));
		expect(third).toMatchObject({ total: 25, rows: [{ email: 'page-21@pages.test' }, {}, {}, {}, { email: 'page-25@pages.test' }] });
		expect(beyond).toEqual({ rows: [], total: 25 });
	});

	it('reads the URL leniently: anything unknown falls back to its default, nothing throws', () => {
		const defaults = { q: '', role: undefined, status: undefined, sort: 'createdAt', dir: 'desc', page: 1, pageSize: 25 };
		expect(directory.userQuerySchema.parse(new URLSearchParams())).toEqual(defaults);
		expect(directory.userQuerySchema.parse(null)).toEqual(defaults);
		const junk = new URLSearchParams('q=%20ada%20&role=root&status=gone&sort=passwordHash&dir=up&page=-2&pageSize=7');
		expect(directory.userQuerySchema.parse(junk)).toEqual({ ...defaults, q: 'ada' });
		expect(directory.userQuerySchema.parse(new URLSearchParams('page=2.5&pageSize=abc'))).toMatchObject({ page: 1, pageSize: 25 });
		expect(directory.userQuerySchema.parse(new URLSearchParams('role=reviewer&status=disabled&sort=email&dir=asc&page=3&pageSize=50'))).toEqual({
			q: '', role: 'reviewer', status: 'disabled', sort: 'email', dir: 'asc', page: 3, pageSize: 50
		});
	});
});

describe('directory.getUser', () => {
	it('counts only live sessions and lists the ten latest audit events about the user, newest first', async () => {
		const id = await member('watched@example.com', 'reviewer');
		await signedIn(id);
		await signedIn(id);
		const stale = await signedIn(id);
		await database.db.update(session).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(session.id, stale.session.id));
		for (let i = 1; i <= 11; i++) await audit.record(database.db, { actorId: admin.user.id, action: `test.${i}`, targetType: 'user', targetId: id });
		const found = await directory.getUser(database.db, id);
		expect(found).toMatchObject({ email: 'watched@example.com', role: 'reviewer', status: 'active', activeSessions: 2 });
		expect(found?.events.map((event) => event.action)).toEqual(['test.11', 'test.10', 'test.9', 'test.8', 'test.7', 'test.6', 'test.5', 'test.4', 'test.3', 'test.2']);
		expect(found?.events[0]).toMatchObject({ actorName: 'root', actorEmail: 'root@example.com' });
		expect(await directory.getUser(database.db, 'not-a-uuid')).toBeUndefined();
		expect(await directory.getUser(database.db, crypto.randomUUID())).toBeUndefined();
	});
});

describe('/admin/users', () => {
	async function load(query: string): Promise<{ rows: Array<{ email: string }>; total: number }> {
		const data = await usersLoad(forLoad(adminEvent(`/admin/users${query}`, '/admin/users')));
		if (!data) throw new Error('the load returned nothing');
		return data as { rows: Array<{ email: string }>; total: number };
	}

	it('serves the sort, filter and page named in the URL', async () => {
		const data = await load('?q=dir.test&status=active&sort=email&dir=desc&pageSize=10');
		expect(data.total).toBe(4);
		expect(data.rows.map((row) => row.email)).toEqual(['dan@dir.test', 'carol@dir.test', 'bobxsmith@dir.test', 'ada@dir.test']);
	});

	it('sends a page past the end to the last page', async () => {
		const thrown = await thrownBy(() => load('?q=pages.test&pageSize=10&page=9'));
		expect(isRedirect(thrown) && thrown.location).toBe('/admin/users?q=pages.test&pageSize=10&page=3');
	});

	it('guards the load and every action: 403 for a non-admin, sign-in for nobody', async () => {
		const denied = await thrownBy(() => usersLoad(forLoad(adminEvent('/admin/users', '/admin/users', { as: annotator }))));
		expect(isHttpError(denied) && denied.status).toBe(403);
		const anonymous = await thrownBy(() => overviewLoad(forLoad(adminEvent('/admin', '/admin', { as: null }))));
		expect(isRedirect(anonymous) && anonymous.location).toBe('/login?redirectTo=%2Fadmin');
		for (const name of ['create', 'invite', 'revokeInvite'] as const) {
			const thrown = await thrownBy(() => usersActions[name]!(adminEvent(`/admin/users?/${name}`, '/admin/users', { as: annotator, form: {} })));
			expect(isHttpError(thrown) && thrown.status).toBe(403);
		}
		for (const name of ['role', 'resetPassword', 'disable', 'enable'] as const) {
			const event = adminEvent(`/admin/users/${admin.user.id}?/${name}`, '/admin/users/[id]', { as: annotator, form: {}, params: { id: admin.user.id } });
			const thrown = await thrownBy(() => userActions[name]!(event));
			expect(isHttpError(thrown) && thrown.status).toBe(403);
		}
	});

	it('counts people, sessions and workspace rows on the overview', async () => {
		const data = await overviewLoad(forLoad(adminEvent('/admin', '/admin')));
		expect(data).toMatchObject({ users: { byRole: { admin: expect.any(Number) }, activeSessions: expect.any(Number) }, content: { personas: 0 }, models: [] });
	});

	describe('create', () => {
		const create = (form: Record<string, string>) => usersActions.create!(adminEvent('/admin/users?/create', '/admin/users', { form }));

		it('rejects bad input field by field, echoes no password and writes nothing', async () => {
			const before = await writes();
			const result = await create({ email: 'nope', displayName: ' ', role: 'root', password: 'short' });
			expect(result).toMatchObject({
				status: 400,
				data: { errors: { email: expect.any(String), displayName: expect.any(String), role: expect.any(String), password: expect.any(String) } }
			});
			expect(JSON.stringify(result)).not.toContain('short');
			expect(await writes()).toEqual(before);
		});

		it('refuses a second account for an email, on the email field', async () => {
			const before = await writes();
			const result = await create({ email: 'ANN@example.com', displayName: 'Again', role: 'reviewer', password: PASSWORD });
			expect(result).toMatchObject({ status: 400, data: { errors: { email: 'An account with this email already exists.' } } });
			expect(await writes()).toEqual(before);
		});

		it('creates the account, audited with the admin as actor', async () => {
			const result = await create({ email: ' New.Person@Example.com ', displayName: 'New Person', role: 'reviewer', password: PASSWORD });
			expect(result).toMatchObject({ created: { email: 'new.person@example.com' } });
			expect(await accounts.signIn(database.db, 'new.person@example.com', PASSWORD, null)).toMatchObject({ ok: true });
			const [entry] = await database.db.select().from(auditEvent).where(sql`${auditEvent.details}->>'email' = 'new.person@example.com'`);
			expect(entry).toMatchObject({ action: 'user.create', actorId: admin.user.id });
		});
	});
});

describe('/admin/users/[id]', () => {
	let targetId: string;
	let target: Awaited<ReturnType<typeof signedIn>>;

	beforeAll(async () => {
		targetId = await member('target@example.com', 'annotator');
	});

	function act(name: 'role' | 'resetPassword' | 'disable' | 'enable', form: Record<string, string> = {}, id = targetId) {
		return userActions[name]!(adminEvent(`/admin/users/${id}?/${name}`, '/admin/users/[id]', { form, params: { id } }));
	}

	it('shows the user with live sessions and recent events; an unknown or malformed id is a 404', async () => {
		target = await signedIn(targetId);
		const event = forLoad(adminEvent(`/admin/users/${targetId}`, '/admin/users/[id]', { params: { id: targetId } }));
		expect(await userLoad(event)).toMatchObject({ isSelf: false, person: { email: 'target@example.com', activeSessions: 1, events: [{ action: 'user.create' }] } });
		for (const id of [crypto.randomUUID(), 'nope']) {
			const thrown = await thrownBy(() => userLoad(forLoad(adminEvent(`/admin/users/${id}`, '/admin/users/[id]', { params: { id } }))));
			expect(isHttpError(thrown) && thrown.status).toBe(404);
		}
	});

	it('refuses an unknown role on the role field and changes nothing', async () => {
		target = await signedIn(targetId);
		const before = await writes();
		expect(await act('role', { role: 'owner' })).toMatchObject({ status: 400, data: { errors: { role: expect.any(String) } } });
		expect(await stillValid(target.token)).toBe(true);
		expect(await writes()).toEqual(before);
	});

	it('changes the role and signs the user out everywhere', async () => {
		target = await signedIn(targetId);
		expect(await act('role', { role: 'reviewer' })).toMatchObject({ done: expect.any(String) });
		expect(await stillValid(target.token)).toBe(false);
		expect((await directory.getUser(database.db, targetId))?.role).toBe('reviewer');
	});

	it('refuses a short or mistyped new password field by field and keeps the old one', async () => {
		const before = await writes();
		expect(await act('resetPassword', { password: 'short', confirmPassword: 'short' })).toMatchObject({ status: 400, data: { errors: { password: expect.any(String) } } });
		const mistyped = await act('resetPassword', { password: 'a new long secret', confirmPassword: 'a new long secert' });
		expect(mistyped).toMatchObject({ status: 400, data: { errors: { confirmPassword: expect.any(String) }, values: { action: 'resetPassword' } } });
		expect(JSON.stringify(mistyped)).not.toContain('secret');
		expect(await writes()).toEqual(before);
		expect(await accounts.signIn(database.db, 'target@example.com', PASSWORD, null)).toMatchObject({ ok: true });
	});

	it('resets the password: the old one stops working, the new one works, every session ends', async () => {
		target = await signedIn(targetId);
		expect(await act('resetPassword', { password: 'a new long secret', confirmPassword: 'a new long secret' })).toMatchObject({ done: expect.any(String) });
		expect(await stillValid(target.token)).toBe(false);
		expect(await accounts.signIn(database.db, 'target@example.com', PASSWORD, null)).toEqual({ ok: false, reason: 'invalid' });
		expect(await accounts.signIn(database.db, 'target@example.com', 'a new long secret', null)).toMatchObject({ ok: true });
	});

	it('disables: signed out everywhere and sign-in refused; enabling lets them back in', async () => {
		target = await signedIn(targetId);
		expect(await act('disable')).toMatchObject({ done: expect.any(String) });
		expect(await stillValid(target.token)).toBe(false);
		expect(await accounts.signIn(database.db, 'target@example.com', 'a new long secret', null)).toEqual({ ok: false, reason: 'invalid' });
		expect(await act('enable')).toMatchObject({ done: expect.any(String) });
		expect(await accounts.signIn(database.db, 'target@example.com', 'a new long secret', null)).toMatchObject({ ok: true });
	});

	it('will not let an admin demote, disable or reset themselves, and keeps their session', async () => {
		const before = await writes();
		const me = admin.user.id;
		expect(await act('role', { role: 'annotator' }, me)).toMatchObject({ status: 400, data: { errors: { role: expect.any(String) } } });
		expect(await act('disable', {}, me)).toMatchObject({ status: 400, data: { errors: { disabled: expect.any(String) } } });
		expect(await act('resetPassword', { password: PASSWORD, confirmPassword: PASSWORD }, me)).toMatchObject({ status: 400, data: { errors: { password: expect.any(String) } } });
		expect(await writes()).toEqual(before);
		expect(await stillValid(admin.token)).toBe(true);
		expect((await directory.getUser(database.db, me))?.role).toBe('admin');
	});
});
