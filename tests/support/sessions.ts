import type { Db } from '../../src/lib/server/db';
import * as sessions from '../../src/lib/server/auth/session';

export const SESSION_DAYS = 30;

export type SignedIn = { token: string; user: sessions.SessionUser; session: sessions.Session };

/** A real session for the user, as sign-in makes it, already validated once. */
export async function signedIn(db: Db, userId: string): Promise<SignedIn> {
	const token = sessions.generateSessionToken();
	await sessions.createSession(db, token, userId, { days: SESSION_DAYS });
	const validated = await sessions.validateSessionToken(db, token, SESSION_DAYS);
	if (!validated.session) throw new Error('a fresh session did not validate');
	return { token, user: validated.user, session: validated.session };
}

export async function stillValid(db: Db, token: string): Promise<boolean> {
	return (await sessions.validateSessionToken(db, token, SESSION_DAYS)).session !== null;
}
