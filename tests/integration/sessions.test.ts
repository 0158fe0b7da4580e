import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sessions from '$lib/server/auth/session';
import * as accounts from '$lib/server/users/accounts';
import { session, user } from '$lib/server/db/schema';
import { createTestDatabase, type TestDatabase } from '../support/database';

const DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

let database: TestDatabase;
let userId: string;
let adminId: string;

beforeAll(async () => {
	database = await createTestDatabase();
	({ id: userId } = await accounts.createUser(
		database.db,
		{ email: 'ana@example.com', displayName: 'Ana', role: 'annotator', password: 'correct horse battery' },
		{ id: null }
	));
	({ id: adminId } = await accounts.createUser(
		database.db,
		{ email: 'root@example.com', displayName: 'Root', role: 'admin', password: 'correct horse battery' },
		{ id: null }
	));
});

afterAll(async () => {
	await database?.close();
});

/** A fresh session for `owner`, with the cookie token that proves it. */
async function signedIn(owner = userId): Promise<{ token: string; id: string }> {
	const token = sessions.generateSessionToken();
	const created = await sessions.createSession(database.db, token, owner, { days: DAYS });
	return { token, id: created.id };
}

async function storedSession(id: string) {
	const [row] = await database.db.select().from(session).where(eq(session.id, id));
	return row;
}

async function setExpiry(id: string, expiresAt: Date): Promise<void> {
	await database.db.update(session).set({ expiresAt }).where(eq(session.id, id));
}

describe('session tokens', () => {
	it('stores only the SHA-256 hex of the cookie token, never the token itself', async () => {
		const { token, id } = await signedIn();
		const expected = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
		expect(id).toBe(Buffer.from(expected).toString('hex'));
		expect(id).toMatch(/^[0-9a-f]{64}$/);
		const rows = await database.db.select().from(session);
		expect(rows.some((row) => Object.values(row).some((value) => String(value).includes(token)))).toBe(false);
	});

	it('makes a different, unguessable token every time', () => {
		const tokens = new Set(Array.from({ length: 50 }, () => sessions.generateSessionToken()));
		expect(tokens.size).toBe(50);
		for (const token of tokens) expect(token).toMatch(/^[a-z2-7]{32}$/);
	});

	it('records the address and a clipped user agent with the session', async () => {
		const token = sessions.generateSessionToken();
		const created = await sessions.createSession(database.db, token, userId, {
			days: DAYS,
			ip: '198.51.100.7',
			userAgent: 'x'.repeat(2000)
		});
		const row = await storedSession(created.id);
		expect(row?.ip).toBe('198.51.100.7');
		expect(row?.userAgent).toHaveLength(500);
	});
});

describe('validateSessionToken', () => {
	it('returns the session and its user for a live token', async () => {
		const { token, id } = await signedIn();
		const result = await sessions.validateSessionToken(database.db, token, DAYS);
		expect(result.session?.id).toBe(id);
		expect(result.user).toEqual({ id: userId, email: 'ana@example.com', displayName: 'Ana', role: 'annotator', arenaAccess: false });
	});

	it('rejects a token it never issued', async () => {
		const result = await sessions.validateSessionToken(database.db, sessions.generateSessionToken(), DAYS);
		expect(result).toEqual({ session: null, user: null });
	});

	it('rejects an expired session and deletes it', async () => {
		const { token, id } = await signedIn();
		await setExpiry(id, new Date(Date.now() - 1000));
		expect(await sessions.validateSessionToken(database.db, token, DAYS)).toEqual({ session: null, user: null });
		expect(await storedSession(id)).toBeUndefined();
	});

	it('extends a session in the second half of its life to a full lifetime from now', async () => {
		const { token, id } = await signedIn();
		await setExpiry(id, new Date(Date.now() + 10 * DAY_MS));
		const before = Date.now();
		const result = await sessions.validateSessionToken(database.db, token, DAYS);
		const stored = (await storedSession(id))?.expiresAt.getTime();
		expect(result.session?.expiresAt.getTime()).toBeGreaterThanOrEqual(before + DAYS * DAY_MS);
		expect(stored).toBe(result.session?.expiresAt.getTime());
	});

	it('leaves a session in the first half of its life as it is', async () => {
		const { token, id } = await signedIn();
		const expiresAt = new Date(Date.now() + 20 * DAY_MS);
		await setExpiry(id, expiresAt);
		const result = await sessions.validateSessionToken(database.db, token, DAYS);
		expect(result.session?.expiresAt.getTime()).toBe(expiresAt.getTime());
		expect((await storedSession(id))?.expiresAt.getTime()).toBe(expiresAt.getTime());
	});
});

describe('ending sessions', () => {
	it('invalidateSession ends that one session and no other', async () => {
		const ended = await signedIn();
		const other = await signedIn();
		await sessions.invalidateSession(database.db, ended.id);
		expect((await sessions.validateSessionToken(database.db, ended.token, DAYS)).session).toBeNull();
		expect((await sessions.validateSessionToken(database.db, other.token, DAYS)).session?.id).toBe(other.id);
	});

	it("invalidateUserSessions signs the user out everywhere and leaves other users' sessions alone", async () => {
		const first = await signedIn();
		const second = await signedIn();
		const someoneElse = await signedIn(adminId);
		await sessions.invalidateUserSessions(database.db, userId);
		expect((await sessions.validateSessionToken(database.db, first.token, DAYS)).session).toBeNull();
		expect((await sessions.validateSessionToken(database.db, second.token, DAYS)).session).toBeNull();
		expect((await sessions.validateSessionToken(database.db, someoneElse.token, DAYS)).session?.id).toBe(someoneElse.id);
	});

	it('invalidateUserSessions keeps the one session it is told to keep', async () => {
		const kept = await signedIn();
		const ended = await signedIn();
		await sessions.invalidateUserSessions(database.db, userId, kept.id);
		expect((await sessions.validateSessionToken(database.db, kept.token, DAYS)).session?.id).toBe(kept.id);
		expect((await sessions.validateSessionToken(database.db, ended.token, DAYS)).session).toBeNull();
	});
});

describe('disabled users', () => {
	it('stops a session validating the moment disabled_at is set, and deletes it', async () => {
		const { id: disabledId } = await accounts.createUser(
			database.db,
			{ email: 'gone@example.com', displayName: 'Gone', role: 'reviewer', password: 'correct horse battery' },
			{ id: null }
		);
		const live = await signedIn(disabledId);
		await database.db.update(user).set({ disabledAt: new Date() }).where(eq(user.id, disabledId));
		expect(await sessions.validateSessionToken(database.db, live.token, DAYS)).toEqual({ session: null, user: null });
		expect(await storedSession(live.id)).toBeUndefined();
	});

	it('signs a user out everywhere when an admin disables the account', async () => {
		const { id: disabledId } = await accounts.createUser(
			database.db,
			{ email: 'left@example.com', displayName: 'Left', role: 'annotator', password: 'correct horse battery' },
			{ id: null }
		);
		const phone = await signedIn(disabledId);
		const laptop = await signedIn(disabledId);
		await accounts.setDisabled(database.db, disabledId, true, { id: adminId });
		expect((await sessions.validateSessionToken(database.db, phone.token, DAYS)).session).toBeNull();
		expect((await sessions.validateSessionToken(database.db, laptop.token, DAYS)).session).toBeNull();
		expect(await database.db.select().from(session).where(eq(session.userId, disabledId))).toEqual([]);
	});
});
