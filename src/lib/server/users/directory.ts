import { and, asc, desc, eq, gt, ilike, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import { alias, type PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { auditEvent, roles, session, user, type Role } from '../db/schema';
import { containsPattern, tableQuerySchema } from '../listing';

export const userSortColumns = ['email', 'displayName', 'role', 'status', 'createdAt'] as const;
export const userStatuses = ['active', 'disabled'] as const;
export { pageSizes } from '../listing';

export type UserSort = (typeof userSortColumns)[number];
export type UserStatus = (typeof userStatuses)[number];

/** The admin table's state as it travels in the URL (listing.ts: bad values fall back to defaults). */
export const userQuerySchema = tableQuerySchema({
	sorts: userSortColumns,
	sort: 'createdAt',
	filters: { role: z.enum(roles).optional().catch(undefined), status: z.enum(userStatuses).optional().catch(undefined) }
});
export type UserQuery = z.infer<typeof userQuerySchema>;

export type UserRow = {
	id: string;
	email: string;
	displayName: string;
	role: Role;
	status: UserStatus;
	/** Trusted with arena mode by an admin (admins have it whatever this says). */
	arenaAccess: boolean;
	createdAt: Date;
};

// Roles sort by how much they may do, not alphabetically.
const roleRank = sql`case ${user.role} when 'annotator' then 1 when 'reviewer' then 2 else 3 end`;

const sortExpressions: Record<UserSort, SQL | PgColumn> = {
	email: user.email,
	displayName: sql`lower(${user.displayName})`,
	role: roleRank,
	status: sql`(${user.disabledAt} is not null)`,
	createdAt: user.createdAt
};

const statusOf = sql<UserStatus>`case when ${user.disabledAt} is null then 'active' else 'disabled' end`;

function whereOf(query: UserQuery): SQL | undefined {
	const pattern = query.q ? containsPattern(query.q) : undefined;
	return and(
		pattern ? or(ilike(user.email, pattern), ilike(user.displayName, pattern)) : undefined,
		query.role ? eq(user.role, query.role) : undefined,
		query.status === 'active' ? isNull(user.disabledAt) : query.status === 'disabled' ? isNotNull(user.disabledAt) : undefined
	);
}

/**
 * One page of users and the number that match. The total rides on each row
 * (`count(*) over ()`); only a page past the end, which has no rows to carry
 * it, costs a second query.
 */
export async function listUsers(db: DbOrTx, query: UserQuery): Promise<{ rows: UserRow[]; total: number }> {
	const where = whereOf(query);
	const direction = query.dir === 'asc' ? asc : desc;
	const found = await db
		.select({
			id: user.id,
			email: user.email,
			displayName: user.displayName,
			role: user.role,
			status: statusOf,
			arenaAccess: user.arenaAccess,
			createdAt: user.createdAt,
			total: sql<number>`count(*) over ()`.mapWith(Number)
		})
		.from(user)
		.where(where)
		// email is unique: the tie-breaker that keeps pages from overlapping
		.orderBy(direction(sortExpressions[query.sort]), asc(user.email))
		.limit(query.pageSize)
		.offset((query.page - 1) * query.pageSize);
	const rows = found.map(({ total: _total, ...row }) => row);
	if (found[0]) return { rows, total: found[0].total };
	if (query.page === 1) return { rows, total: 0 };
	const [counted] = await db.select({ total: sql<number>`count(*)`.mapWith(Number) }).from(user).where(where);
	return { rows, total: counted?.total ?? 0 };
}

export type AuditLine = {
	id: number;
	action: string;
	/** Null for the system, a CLI script, or an actor since deleted. */
	actorName: string | null;
	actorEmail: string | null;
	details: Record<string, unknown>;
	ip: string | null;
	createdAt: Date;
};

export type UserDetail = UserRow & {
	disabledAt: Date | null;
	passwordChangedAt: Date;
	updatedAt: Date;
	activeSessions: number;
	events: AuditLine[];
};

const actor = alias(user, 'actor');

/** One user for the admin page, with live sessions and the last 10 audit events about them. */
export async function getUser(db: DbOrTx, id: string): Promise<UserDetail | undefined> {
	// A malformed id would make PostgreSQL raise on the uuid cast; it simply names nobody.
	if (!z.guid().safeParse(id).success) return undefined;
	const [found] = await db
		.select({
			id: user.id,
			email: user.email,
			displayName: user.displayName,
			role: user.role,
			status: statusOf,
			arenaAccess: user.arenaAccess,
			createdAt: user.createdAt,
			disabledAt: user.disabledAt,
			passwordChangedAt: user.passwordChangedAt,
			updatedAt: user.updatedAt,
			activeSessions: sql<number>`count(${session.id}) filter (where ${session.expiresAt} > now())`.mapWith(Number)
		})
		.from(user)
		.leftJoin(session, eq(session.userId, user.id))
		.where(eq(user.id, id))
		.groupBy(user.id);
	if (!found) return undefined;
	const events = await db
		.select({
			id: auditEvent.id,
			action: auditEvent.action,
			actorName: actor.displayName,
			actorEmail: actor.email,
			details: auditEvent.details,
			ip: auditEvent.ip,
			createdAt: auditEvent.createdAt
		})
		.from(auditEvent)
		.leftJoin(actor, eq(actor.id, auditEvent.actorId))
		.where(and(eq(auditEvent.targetType, 'user'), eq(auditEvent.targetId, id)))
		.orderBy(desc(auditEvent.createdAt), desc(auditEvent.id))
		.limit(10);
	return { ...found, events };
}

export type UserCounts = { byRole: Record<Role, number>; disabled: number; activeSessions: number };

/** Head counts for the admin overview. */
export async function countUsers(db: DbOrTx): Promise<UserCounts> {
	const [rows, activeSessions] = await Promise.all([
		db
			.select({
				role: user.role,
				total: sql<number>`count(*)`.mapWith(Number),
				disabled: sql<number>`count(${user.disabledAt})`.mapWith(Number)
			})
			.from(user)
			.groupBy(user.role),
		db.$count(session, gt(session.expiresAt, sql`now()`))
	]);
	const byRole = Object.fromEntries(roles.map((role) => [role, 0])) as Record<Role, number>;
	let disabled = 0;
	for (const row of rows) {
		byRole[row.role] = row.total;
		disabled += row.disabled;
	}
	return { byRole, disabled, activeSessions };
}
