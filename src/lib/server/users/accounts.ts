import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { text } from '../text';
import * as audit from '../audit';
import type { Db, DbOrTx, Tx } from '../db';
import { roles, user, type Role } from '../db/schema';
import { FieldError, isUniqueViolation, NotFoundError } from '../errors';
import { hashPassword, passwordSchema, verifyAgainstNothing, verifyPassword } from '../auth/password';
import { invalidateUserSessions } from '../auth/session';
import * as throttle from '../auth/throttle';

export const emailSchema = text({ error: 'Enter an email address.' })
	.trim()
	.toLowerCase()
	.pipe(z.email('Enter a valid email address.').max(254, 'Use at most 254 characters.'));

export const displayNameSchema = text({ error: 'Enter a name.' })
	.trim()
	.min(1, 'Enter a name.')
	.max(100, 'Use at most 100 characters.');

export const roleSchema = z.enum(roles, { error: 'Choose annotator, reviewer or admin.' });

export const newUserSchema = z.object({
	email: emailSchema,
	displayName: displayNameSchema,
	role: roleSchema,
	password: passwordSchema
});
export type NewUser = z.infer<typeof newUserSchema>;

export type Actor = { id: string | null; ip?: string | null };

export async function createUser(db: Db, input: NewUser, actor: Actor): Promise<{ id: string }> {
	const passwordHash = await hashPassword(input.password);
	const { email, displayName, role } = input;
	return db.transaction((tx) => insertUser(tx, { email, displayName, role, passwordHash }, actor));
}

/**
 * createUser's insert and audit inside a transaction the caller already holds
 * (accepting an invite), so the account commits or rolls back with the caller's
 * own writes. Hash the password before opening that transaction.
 */
export async function insertUser(
	tx: Tx,
	input: { email: string; displayName: string; role: Role; passwordHash: string },
	actor: Actor
): Promise<{ id: string }> {
	try {
		const [created] = await tx
			.insert(user)
			.values({ email: input.email, displayName: input.displayName, role: input.role, passwordHash: input.passwordHash })
			.returning({ id: user.id });
		if (!created) throw new Error('insert returned no row');
		await audit.record(tx, {
			actorId: actor.id,
			action: 'user.create',
			targetType: 'user',
			targetId: created.id,
			details: { email: input.email, role: input.role },
			ip: actor.ip
		});
		return created;
	} catch (error) {
		if (isUniqueViolation(error, 'user_email_unique'))
			throw new FieldError('email', 'An account with this email already exists.');
		throw error;
	}
}

export type SignInResult =
	| { ok: true; userId: string }
	| { ok: false; reason: 'invalid' }
	| { ok: false; reason: 'throttled'; until: Date };

/**
 * Checks an email and password. Unknown email, wrong password and disabled
 * account all answer `invalid`, after the same argon2 work, so neither the
 * text nor the timing tells whether the account exists.
 */
export async function signIn(db: Db, email: string, password: string, ip: string | null): Promise<SignInResult> {
	const keys = { email, ip };
	const until = await throttle.lockedUntil(db, keys);
	if (until) return { ok: false, reason: 'throttled', until };
	const [found] = await db
		.select({ id: user.id, passwordHash: user.passwordHash, disabledAt: user.disabledAt })
		.from(user)
		.where(eq(user.email, email));
	const valid = found ? await verifyPassword(found.passwordHash, password) : await verifyAgainstNothing(password);
	if (!found || !valid || found.disabledAt) {
		await throttle.recordFailure(db, keys);
		return { ok: false, reason: 'invalid' };
	}
	await throttle.recordSuccess(db, email);
	return { ok: true, userId: found.id };
}

/** The user's own change: needs the current password; ends every other session. */
export async function changeOwnPassword(
	db: Db,
	userId: string,
	currentPassword: string,
	newPassword: string,
	keepSessionId: string
): Promise<void> {
	const [found] = await db.select({ email: user.email, passwordHash: user.passwordHash }).from(user).where(eq(user.id, userId));
	if (!found) throw new NotFoundError('No such user.');
	// Guesses at the current password (say, from a stolen session) count against the same lock-out as sign-in.
	const keys = { email: found.email, ip: null };
	const until = await throttle.lockedUntil(db, keys);
	if (until) throw new FieldError('currentPassword', throttle.describeWait(until));
	if (!(await verifyPassword(found.passwordHash, currentPassword))) {
		await throttle.recordFailure(db, keys);
		throw new FieldError('currentPassword', 'That is not your current password.');
	}
	const passwordHash = await hashPassword(newPassword);
	await db.transaction(async (tx) => {
		await tx.update(user).set({ passwordHash, passwordChangedAt: new Date(), updatedAt: new Date() }).where(eq(user.id, userId));
		await invalidateUserSessions(tx, userId, keepSessionId);
		await audit.record(tx, { actorId: userId, action: 'user.password.change', targetType: 'user', targetId: userId });
	});
}

async function updateAndSignOut(
	db: Db,
	userId: string,
	changes: Partial<typeof user.$inferInsert>,
	entry: { actor: Actor; action: string; details?: Record<string, unknown> }
): Promise<void> {
	await db.transaction(async (tx) => {
		const updated = await tx
			.update(user)
			.set({ ...changes, updatedAt: new Date() })
			.where(eq(user.id, userId))
			.returning({ id: user.id });
		if (updated.length === 0) throw new NotFoundError('No such user.');
		await invalidateUserSessions(tx, userId);
		await audit.record(tx, {
			actorId: entry.actor.id,
			action: entry.action,
			targetType: 'user',
			targetId: userId,
			details: entry.details,
			ip: entry.actor.ip
		});
	});
}

export async function setRole(db: Db, userId: string, role: Role, actor: Actor): Promise<void> {
	if (actor.id === userId) throw new FieldError('role', 'You cannot change your own role; ask another admin.');
	await updateAndSignOut(db, userId, { role }, { actor, action: 'user.role', details: { role } });
}

export async function resetPassword(db: Db, userId: string, password: string, actor: Actor): Promise<void> {
	const passwordHash = await hashPassword(password);
	await updateAndSignOut(db, userId, { passwordHash, passwordChangedAt: new Date() }, { actor, action: 'user.password.reset' });
}

export async function setDisabled(db: Db, userId: string, disabled: boolean, actor: Actor): Promise<void> {
	if (disabled && actor.id === userId) throw new FieldError('disabled', 'You cannot disable your own account.');
	await updateAndSignOut(
		db,
		userId,
		{ disabledAt: disabled ? new Date() : null },
		{ actor, action: disabled ? 'user.disable' : 'user.enable' }
	);
}

/**
 * Trusts a user with arena mode, or stops trusting them. Safe to repeat: only
 * a change is written and audited (`user.arena`). Their sessions stay: every
 * request reads the flag afresh (auth/session.ts), so it takes effect at once.
 */
export async function setArenaAccess(db: Db, userId: string, allowed: boolean, actor: Actor): Promise<void> {
	await db.transaction(async (tx) => {
		const [found] = await tx.select({ arenaAccess: user.arenaAccess }).from(user).where(eq(user.id, userId)).for('update');
		if (!found) throw new NotFoundError('No such user.');
		if (found.arenaAccess === allowed) return;
		await tx.update(user).set({ arenaAccess: allowed, updatedAt: new Date() }).where(eq(user.id, userId));
		await audit.record(tx, { actorId: actor.id, action: 'user.arena', targetType: 'user', targetId: userId, details: { arenaAccess: allowed }, ip: actor.ip });
	});
}

export async function findUserByEmail(db: DbOrTx, email: string): Promise<{ id: string; role: Role } | undefined> {
	const [found] = await db.select({ id: user.id, role: user.role }).from(user).where(eq(user.email, email));
	return found;
}
