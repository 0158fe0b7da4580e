import { and, asc, desc, eq, ilike, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../db';
import { prompt } from '../db/schema';
import type { z } from 'zod';
import { containsPattern, tableQuerySchema, tagFilter } from '../listing';

export const promptSortColumns = ['createdAt', 'domain'] as const;
export { pageSizes } from '../listing';

export type PromptSort = (typeof promptSortColumns)[number];

/** The admin table's state as it travels in the URL (listing.ts: bad values fall back to defaults). */
export const promptQuerySchema = tableQuerySchema({ sorts: promptSortColumns, sort: 'createdAt', filters: { domain: tagFilter() } });
export type PromptQuery = z.infer<typeof promptQuerySchema>;

export type PromptRow = {
	id: string;
	/** The last user turn, cut to a table cell's worth. */
	text: string;
	turns: number;
	domain: string;
	tags: string[];
	externalId: string | null;
	source: string;
	candidates: number;
	pairs: number;
	createdAt: Date;
};

/** What the table shows of a prompt: its last turn, which is the user's (imports and the schema's CHECK see to that). */
const lastTurn = sql<string>`(${prompt.messages} -> -1 ->> 'content')`;
const SHOWN_CHARS = 300;

// Spelled out: in a one-table select drizzle leaves columns unqualified, and the subquery's
// `prompt_id = id` would then compare the candidate's own columns.
const candidateCount = sql<number>`(select count(*) from "candidate" c where c.prompt_id = "prompt"."id")`.mapWith(Number);
const pairCount = sql<number>`(select count(*) from "pair" p where p.prompt_id = "prompt"."id")`.mapWith(Number);

const sortExpressions: Record<PromptSort, SQL | PgColumn> = { createdAt: prompt.createdAt, domain: prompt.domain };

function whereOf(personaId: string, query: PromptQuery): SQL | undefined {
	return and(
		eq(prompt.personaId, personaId),
		query.q ? ilike(lastTurn, containsPattern(query.q)) : undefined,
		query.domain ? eq(prompt.domain, query.domain) : undefined
	);
}

/**
 * One page of a persona's prompts with their candidate and pair counts, and
 * the number that match. Counts are per-row subqueries on indexed prompt_id,
 * so they cost one page's worth of lookups, not a scan of every candidate.
 */
export async function listPrompts(db: DbOrTx, personaId: string, query: PromptQuery): Promise<{ rows: PromptRow[]; total: number }> {
	const where = whereOf(personaId, query);
	const direction = query.dir === 'asc' ? asc : desc;
	const found = await db
		.select({
			id: prompt.id,
			text: sql<string>`left(${lastTurn}, ${SHOWN_CHARS})`,
			turns: sql<number>`jsonb_array_length(${prompt.messages})`.mapWith(Number),
			domain: prompt.domain,
			tags: prompt.tags,
			externalId: prompt.externalId,
			source: prompt.source,
			candidates: candidateCount,
			pairs: pairCount,
			createdAt: prompt.createdAt,
			total: sql<number>`count(*) over ()`.mapWith(Number)
		})
		.from(prompt)
		.where(where)
		// id is unique: the tie-breaker that keeps pages from overlapping (an import gives its prompts one created_at)
		.orderBy(direction(sortExpressions[query.sort]), asc(prompt.id))
		.limit(query.pageSize)
		.offset((query.page - 1) * query.pageSize);
	const rows = found.map(({ total: _total, ...row }) => ({ ...row, text: row.text ?? '' }));
	if (found[0]) return { rows, total: found[0].total };
	if (query.page === 1) return { rows, total: 0 };
	const [counted] = await db.select({ total: sql<number>`count(*)`.mapWith(Number) }).from(prompt).where(where);
	return { rows, total: counted?.total ?? 0 };
}

/** The domains a persona's prompts use, for the table's filter. */
export async function listDomains(db: DbOrTx, personaId: string): Promise<string[]> {
	const rows = await db.selectDistinct({ domain: prompt.domain }).from(prompt).where(eq(prompt.personaId, personaId)).orderBy(asc(prompt.domain));
	return rows.map((row) => row.domain);
}
