import { redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { text } from './text';

// What every server-driven table shares: its URL query (search, filters, sort,
// paging), page sizes, and text search that means what the person typed.

export const pageSizes = [10, 25, 50, 100] as const;

/** page / pageSize / dir from the URL; any bad value falls back to its default instead of failing. */
export const pagingFields = {
	dir: z.enum(['asc', 'desc']).catch('desc'),
	page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
	pageSize: z.coerce
		.number()
		.refine((size) => (pageSizes as readonly number[]).includes(size))
		.catch(25)
};

/** A filter on a lowercase tag such as a prompt's domain; anything else means "no filter". */
export const tagFilter = () =>
	text()
		.regex(/^[a-z][a-z0-9_-]*$/)
		.optional()
		.catch(undefined);

/**
 * The one URL query schema of a server-driven table: `q` (search), the table's
 * own filters, `sort` among its sortable columns, `dir`, `page`, `pageSize`.
 * A bad or unknown value is ignored — it falls back to its default — so a
 * hand-edited or stale link still shows a table, never an error page; each
 * filter in `filters` must likewise `.catch()` its own default.
 */
export function tableQuerySchema<const Sort extends string, Filters extends z.ZodRawShape>(options: {
	sorts: readonly [Sort, ...Sort[]];
	sort: NoInfer<Sort>;
	dir?: 'asc' | 'desc';
	filters: Filters;
}) {
	return z.preprocess(
		(input) => (input instanceof URLSearchParams ? Object.fromEntries(input) : input && typeof input === 'object' ? input : {}),
		z.object({
			q: text()
				.transform((value) => value.trim().slice(0, 200))
				.catch(''),
			...options.filters,
			sort: z.enum(options.sorts).catch(options.sort),
			...pagingFields,
			dir: z.enum(['asc', 'desc']).catch(options.dir ?? 'desc')
		})
	);
}

/** The query with nothing in the URL: what the page leaves out of its links. */
export function queryDefaults<T>(schema: z.ZodType<T>): T {
	return schema.parse(new URLSearchParams());
}

/** A stale link (rows removed, filter narrowed) lands on its last page rather than an empty one. */
export function redirectPastTheEnd(url: URL, page: { rows: number; total: number; pageSize: number }): void {
	if (page.rows > 0 || page.total === 0) return;
	const target = new URL(url);
	target.searchParams.set('page', String(Math.ceil(page.total / page.pageSize)));
	redirect(303, target.pathname + target.search);
}

/** An ILIKE pattern for "contains": `\`, `%` and `_` match themselves, so `a_b` finds "a_b", not "axb". */
export function containsPattern(text: string): string {
	return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
