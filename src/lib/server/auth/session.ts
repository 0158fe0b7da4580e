import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Cookies } from '@sveltejs/kit';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { session, user, type Role } from '../db/schema';

// Sessions as in the lucia-auth.com guide: the cookie holds a random token,
// the database only its SHA-256, so a leaked table cannot be replayed.

const DAY_MS = 24 * 60 * 60 * 1000;
export const SESSION_COOKIE = 'session';

/** `arenaAccess`: an admin trusted this user with arena mode (auth/guard.ts `mayUseArena`); absent reads as no. */
export type SessionUser = { id: string; email: string; displayName: string; role: Role; arenaAccess?: boolean };
export type Session = { id: string; userId: string; expiresAt: Date };
export type SessionValidation = { session: Session; user: SessionUser } | { session: null; user: null };

export function generateSessionToken(): string {
	const bytes = new Uint8Array(20);
	crypto.getRandomValues(bytes);
	return encodeBase32LowerCaseNoPadding(bytes);
}

export function sessionIdFromToken(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export async function createSession(
	db: DbOrTx,
	token: string,
	userId: string,
	options: { days: number; ip?: string | null; userAgent?: string | null }
): Promise<Session> {
	const row: Session = {
		id: sessionIdFromToken(token),
		userId,
		expiresAt: new Date(Date.now() + options.days * DAY_MS)
	};
	await db.insert(session).values({ ...row, ip: options.ip ?? null, userAgent: options.userAgent?.slice(0, 500) ?? null });
	return row;
}

function buildLookup(db: DbOrTx) {
	return db
		.select({
			session: { id: session.id, userId: session.userId, expiresAt: session.expiresAt },
			user: { id: user.id, email: user.email, displayName: user.displayName, role: user.role, arenaAccess: user.arenaAccess, disabledAt: user.disabledAt }
		})
		.from(session)
		.innerJoin(user, eq(session.userId, user.id))
		.where(eq(session.id, sql.placeholder('id')))
		.prepare('session_lookup');
}

// Every request runs this lookup: prepared once per database handle, so the
// server plans it once per connection instead of on each request.
const lookups = new WeakMap<object, ReturnType<typeof buildLookup>>();
function lookupFor(db: DbOrTx): ReturnType<typeof buildLookup> {
	let lookup = lookups.get(db);
	if (!lookup) lookups.set(db, (lookup = buildLookup(db)));
	return lookup;
}

/**
 * Resolves a cookie token to its session and user. Expired sessions and those
 * of disabled users are deleted and rejected; a session in the second half of
 * its life is extended (sliding expiry).
 */
export async function validateSessionToken(db: DbOrTx, token: string, days: number): Promise<SessionValidation> {
	const sessionId = sessionIdFromToken(token);
	const [row] = await lookupFor(db).execute({ id: sessionId });
	if (!row) return { session: null, user: null };
	const now = Date.now();
	if (now >= row.session.expiresAt.getTime() || row.user.disabledAt) {
		await db.delete(session).where(eq(session.id, sessionId));
		return { session: null, user: null };
	}
	const lifetime = days * DAY_MS;
	if (now >= row.session.expiresAt.getTime() - lifetime / 2) {
		row.session.expiresAt = new Date(now + lifetime);
		await db.update(session).set({ expiresAt: row.session.expiresAt }).where(eq(session.id, sessionId));
	}
	const { disabledAt: _disabled, ...sessionUser } = row.user;
	return { session: row.session, user: sessionUser };
}

export async function invalidateSession(db: DbOrTx, sessionId: string): Promise<void> {
	await db.delete(session).where(eq(session.id, sessionId));
}

/** Signs a user out everywhere (but `exceptSessionId`, when given): on password, role or status change. */
export async function invalidateUserSessions(db: DbOrTx, userId: string, exceptSessionId?: string): Promise<void> {
	await db
		.delete(session)
		.where(and(eq(session.userId, userId), exceptSessionId ? ne(session.id, exceptSessionId) : undefined));
}

export function setSessionTokenCookie(cookies: Cookies, token: string, expiresAt: Date, secure: boolean): void {
	cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: expiresAt });
}

export function deleteSessionTokenCookie(cookies: Cookies, secure: boolean): void {
	cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 0 });
}
