import { and, asc, desc, eq, gte, ilike, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import * as audit from '../audit';
import type { Db, DbOrTx } from '../db';
import { goldExample, goldStatuses, prompt, user, type ChatMessage } from '../db/schema';
import { ConflictError, NotFoundError } from '../errors';
import { containsPattern, tableQuerySchema, tagFilter } from '../listing';

export const goldSortColumns = ['updated', 'created', 'domain', 'status'] as const;
export const goldStatusFilters = [...goldStatuses, 'any'] as const;
export { pageSizes } from '../listing';

export type GoldSort = (typeof goldSortColumns)[number];
export type GoldStatusFilter = (typeof goldStatusFilters)[number];

/**
 * A gold table's state as it travels in the URL (listing.ts: bad values fall
 * back to defaults). The review queue and the gallery differ only in their defaults.
 */
export function goldQuerySchemaFor(defaults: { status: GoldStatusFilter; dir: 'asc' | 'desc' }) {
	return tableQuerySchema({
		sorts: goldSortColumns,
		sort: 'updated',
		dir: defaults.dir,
		filters: {
			status: z.enum(goldStatusFilters).catch(defaults.status),
			author: z.uuid().optional().catch(undefined),
			domain: tagFilter(),
			from: z.iso.date().optional().catch(undefined),
			to: z.iso.date().optional().catch(undefined)
		}
	});
}

export const goldQuerySchema = goldQuerySchemaFor({ status: 'any', dir: 'desc' });
export type GoldQuery = z.infer<typeof goldQuerySchema>;

export type GoldRow = {
	id: string;
	/** The prompt's last user turn, cut to a table cell's worth. */
	promptText: string;
	domain: string;
	status: (typeof goldStatuses)[number];
	authorName: string;
	revision: number;
	updatedAt: Date;
	pinned: boolean;
};

const SHOWN_CHARS = 300;
const lastTurn = sql<string>`(${prompt.messages} -> -1 ->> 'content')`;
// Spelled out: the subqueries must compare against the outer example, not their own rows.
const latestText = sql<string>`(select r.text from "gold_revision" r where r.gold_example_id = "gold_example"."id" order by r.revision desc limit 1)`;
const latestNumber = sql<number>`(select max(r.revision) from "gold_revision" r where r.gold_example_id = "gold_example"."id")`.mapWith(Number);

const sortExpressions: Record<GoldSort, SQL | PgColumn> = {
	updated: goldExample.updatedAt,
	created: goldExample.createdAt,
	domain: prompt.domain,
	status: goldExample.status
};

/** `to` is a whole day: everything before the next midnight (UTC). */
function dayAfter(date: string): Date {
	const day = new Date(`${date}T00:00:00Z`);
	day.setUTCDate(day.getUTCDate() + 1);
	return day;
}

function whereOf(query: GoldQuery): SQL | undefined {
	return and(
		query.status !== 'any' ? eq(goldExample.status, query.status) : undefined,
		query.author ? eq(goldExample.authorId, query.author) : undefined,
		query.domain ? eq(prompt.domain, query.domain) : undefined,
		query.from ? gte(goldExample.updatedAt, new Date(`${query.from}T00:00:00Z`)) : undefined,
		query.to ? lt(goldExample.updatedAt, dayAfter(query.to)) : undefined,
		query.q ? ilike(latestText, containsPattern(query.q)) : undefined
	);
}

/** One page of gold examples and the number that match; the total rides on each row. */
export async function listGold(db: DbOrTx, query: GoldQuery): Promise<{ rows: GoldRow[]; total: number }> {
	const where = whereOf(query);
	const direction = query.dir === 'asc' ? asc : desc;
	const found = await db
		.select({
			id: goldExample.id,
			promptText: sql<string>`left(${lastTurn}, ${SHOWN_CHARS})`,
			domain: prompt.domain,
			status: goldExample.status,
			authorName: user.displayName,
			revision: latestNumber,
			updatedAt: goldExample.updatedAt,
			pinnedAt: goldExample.pinnedAt,
			total: sql<number>`count(*) over ()`.mapWith(Number)
		})
		.from(goldExample)
		.innerJoin(prompt, eq(prompt.id, goldExample.promptId))
		.innerJoin(user, eq(user.id, goldExample.authorId))
		.where(where)
		// id is unique: the tie-breaker that keeps pages from overlapping
		.orderBy(direction(sortExpressions[query.sort]), asc(goldExample.id))
		.limit(query.pageSize)
		.offset((query.page - 1) * query.pageSize);
	const rows = found.map(({ total: _total, pinnedAt, ...row }) => ({ ...row, promptText: row.promptText ?? '', pinned: pinnedAt !== null }));
	if (found[0]) return { rows, total: found[0].total };
	if (query.page === 1) return { rows, total: 0 };
	const [counted] = await db
		.select({ total: sql<number>`count(*)`.mapWith(Number) })
		.from(goldExample)
		.innerJoin(prompt, eq(prompt.id, goldExample.promptId))
		.innerJoin(user, eq(user.id, goldExample.authorId))
		.where(where);
	return { rows, total: counted?.total ?? 0 };
}

/** What the filters offer: the domains and authors that have gold examples. */
export async function goldFacets(db: DbOrTx): Promise<{ domains: string[]; authors: Array<{ id: string; name: string }> }> {
	const domains = await db
		.selectDistinct({ domain: prompt.domain })
		.from(goldExample)
		.innerJoin(prompt, eq(prompt.id, goldExample.promptId))
		.orderBy(asc(prompt.domain));
	const authors = await db
		.selectDistinct({ id: user.id, name: user.displayName })
		.from(goldExample)
		.innerJoin(user, eq(user.id, goldExample.authorId))
		.orderBy(asc(user.displayName));
	return { domains: domains.map((d) => d.domain), authors };
}

/** Pins (or unpins) an approved example as a reference of the persona's voice. The route checks the admin role. */
export async function pinExample(db: Db, id: string, pinned: boolean, actor: { id: string; ip?: string | null }): Promise<void> {
	await db.transaction(async (tx) => {
		const [example] = await tx.select({ status: goldExample.status }).from(goldExample).where(eq(goldExample.id, id)).for('update');
		if (!example) throw new NotFoundError('No such gold example.');
		if (pinned && example.status !== 'approved') throw new ConflictError('Only approved examples can be pinned.');
		await tx.update(goldExample).set({ pinnedAt: pinned ? new Date() : null }).where(eq(goldExample.id, id));
		await audit.record(tx, { actorId: actor.id, action: pinned ? 'gold.pin' : 'gold.unpin', targetType: 'gold_example', targetId: id, ip: actor.ip ?? null });
	});
}

export type PinnedExample = { id: string; messages: ChatMessage[]; text: string };

/** The persona's pinned approved examples, newest pin first: the prompt and the approved text. */
export async function pinnedExamples(db: DbOrTx, personaId: string, limit = 5): Promise<PinnedExample[]> {
	return db
		.select({ id: goldExample.id, messages: prompt.messages, text: latestText })
		.from(goldExample)
		.innerJoin(prompt, eq(prompt.id, goldExample.promptId))
		.where(and(eq(prompt.personaId, personaId), eq(goldExample.status, 'approved'), isNotNull(goldExample.pinnedAt)))
		.orderBy(desc(goldExample.pinnedAt), asc(goldExample.id))
		.limit(limit);
}

/** Gold examples submitted and waiting for a reviewer's decision: the admin home's attention list. */
export async function countReviewsWaiting(db: DbOrTx): Promise<number> {
	const [row] = await db.select({ waiting: sql<number>`count(*)`.mapWith(Number) }).from(goldExample).where(eq(goldExample.status, 'submitted'));
	return row?.waiting ?? 0;
}
