import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { z } from 'zod';
import * as audit from '../audit';
import type { Db, DbOrTx } from '../db';
import { invite, user, type Role } from '../db/schema';
import { FieldError, NotFoundError } from '../errors';
import { hashPassword } from '../auth/password';
import { generateSessionToken, sessionIdFromToken } from '../auth/session';
import * as accounts from './accounts';

const INVITE_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

// Invite links use the session scheme: a random token in the link, only its
// SHA-256 in the table, so reading the table does not let anyone sign up.
const generateToken = generateSessionToken;
const hashToken = sessionIdFromToken;

export const newInviteSchema = z.object({ email: accounts.emailSchema, role: accounts.roleSchema });
export type NewInvite = z.infer<typeof newInviteSchema>;

export type ClosedReason = 'unknown' | 'expired' | 'accepted' | 'revoked';

const closedMessages: Record<ClosedReason, string> = {
	unknown: 'This invite link is not valid. Check that you copied all of it, or ask an admin for a new one.',
	expired: 'This invite has expired. Ask an admin to send you a new one.',
	accepted: 'This invite has already been used. Sign in with the password you chose.',
	revoked: 'This invite was withdrawn. Ask an admin for a new one.'
};

/** Accepting an invite that cannot be accepted (any more); `message` is written for the invitee. */
export class InviteClosedError extends Error {
	constructor(readonly reason: ClosedReason) {
		super(closedMessages[reason]);
		this.name = 'InviteClosedError';
	}
}

export async function createInvite(
	db: Db,
	input: NewInvite,
	actor: accounts.Actor
): Promise<{ id: string; token: string; expiresAt: Date }> {
	if (await accounts.findUserByEmail(db, input.email))
		throw new FieldError('email', 'An account with this email already exists; change its role on its page instead.');
	const token = generateToken();
	const now = new Date();
	const expiresAt = new Date(now.getTime() + INVITE_DAYS * DAY_MS);
	return db.transaction(async (tx) => {
		// One live link per address: re-inviting (another role, a lost email) withdraws the old ones.
		const revoked = await tx
			.update(invite)
			.set({ revokedAt: now })
			.where(and(eq(invite.email, input.email), isNull(invite.acceptedAt), isNull(invite.revokedAt)))
			.returning({ id: invite.id });
		const [created] = await tx
			.insert(invite)
			.values({ email: input.email, role: input.role, tokenHash: hashToken(token), invitedBy: actor.id, expiresAt })
			.returning({ id: invite.id });
		if (!created) throw new Error('insert returned no row');
		await audit.record(tx, {
			actorId: actor.id,
			action: 'invite.create',
			targetType: 'invite',
			targetId: created.id,
			details: { email: input.email, role: input.role, revoked: revoked.map((row) => row.id) },
			ip: actor.ip
		});
		return { id: created.id, token, expiresAt };
	});
}

export type OpenInvite = { id: string; email: string; role: Role; expiresAt: Date };
export type InviteLookup = { ok: true; invite: OpenInvite } | { ok: false; reason: ClosedReason; message: string };

function closedReason(row: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date }): ClosedReason | null {
	if (row.acceptedAt) return 'accepted';
	if (row.revokedAt) return 'revoked';
	if (row.expiresAt.getTime() <= Date.now()) return 'expired';
	return null;
}

function closed(reason: ClosedReason): InviteLookup {
	return { ok: false, reason, message: closedMessages[reason] };
}

/** The invite behind a link, or why it can no longer be used. */
export async function findOpenInvite(db: DbOrTx, token: string): Promise<InviteLookup> {
	const [row] = await db
		.select({
			id: invite.id,
			email: invite.email,
			role: invite.role,
			expiresAt: invite.expiresAt,
			acceptedAt: invite.acceptedAt,
			revokedAt: invite.revokedAt
		})
		.from(invite)
		.where(eq(invite.tokenHash, hashToken(token)));
	if (!row) return closed('unknown');
	const reason = closedReason(row);
	if (reason) return closed(reason);
	return { ok: true, invite: { id: row.id, email: row.email, role: row.role, expiresAt: row.expiresAt } };
}

/**
 * Creates the invited account and closes the invite, all or nothing. The
 * invite is claimed by one conditional UPDATE, so of two concurrent or
 * repeated accepts exactly one creates an account; the other gets
 * InviteClosedError('accepted'). A failed account insert rolls the claim back.
 */
export async function acceptInvite(
	db: Db,
	token: string,
	input: { displayName: string; password: string },
	ip: string | null = null
): Promise<{ userId: string }> {
	const passwordHash = await hashPassword(input.password);
	const tokenHash = hashToken(token);
	return db.transaction(async (tx) => {
		const now = new Date();
		const [claimed] = await tx
			.update(invite)
			.set({ acceptedAt: now })
			.where(and(eq(invite.tokenHash, tokenHash), isNull(invite.acceptedAt), isNull(invite.revokedAt), gt(invite.expiresAt, now)))
			.returning({ id: invite.id, email: invite.email, role: invite.role, invitedBy: invite.invitedBy });
		if (!claimed) {
			const [row] = await tx
				.select({ acceptedAt: invite.acceptedAt, revokedAt: invite.revokedAt, expiresAt: invite.expiresAt })
				.from(invite)
				.where(eq(invite.tokenHash, tokenHash));
			// Open by every column yet not claimed: its expiry passed between the two reads.
			throw new InviteClosedError(row ? (closedReason(row) ?? 'expired') : 'unknown');
		}
		const created = await accounts.insertUser(
			tx,
			{ email: claimed.email, displayName: input.displayName, role: claimed.role, passwordHash },
			{ id: claimed.invitedBy, ip }
		);
		await audit.record(tx, {
			actorId: created.id,
			action: 'invite.accept',
			targetType: 'user',
			targetId: created.id,
			details: { inviteId: claimed.id, email: claimed.email, role: claimed.role },
			ip
		});
		return { userId: created.id };
	});
}

export type InviteListing = OpenInvite & { createdAt: Date; invitedBy: string | null };

/** Invites that can still be accepted, soonest to expire first. */
export async function listOpenInvites(db: DbOrTx): Promise<InviteListing[]> {
	const now = new Date();
	return db
		.select({
			id: invite.id,
			email: invite.email,
			role: invite.role,
			expiresAt: invite.expiresAt,
			createdAt: invite.createdAt,
			invitedBy: user.displayName
		})
		.from(invite)
		.leftJoin(user, eq(user.id, invite.invitedBy))
		.where(and(isNull(invite.acceptedAt), isNull(invite.revokedAt), gt(invite.expiresAt, now)))
		.orderBy(asc(invite.expiresAt));
}

export async function revokeInvite(db: Db, inviteId: string, actor: accounts.Actor): Promise<void> {
	if (!z.guid().safeParse(inviteId).success) throw new NotFoundError('No such invite.');
	await db.transaction(async (tx) => {
		const [revoked] = await tx
			.update(invite)
			.set({ revokedAt: new Date() })
			.where(and(eq(invite.id, inviteId), isNull(invite.acceptedAt), isNull(invite.revokedAt)))
			.returning({ id: invite.id, email: invite.email });
		if (!revoked) throw new NotFoundError('This invite is no longer open: it was accepted or withdrawn already.');
		await audit.record(tx, {
			actorId: actor.id,
			action: 'invite.revoke',
			targetType: 'invite',
			targetId: revoked.id,
			details: { email: revoked.email },
			ip: actor.ip
		});
	});
}
