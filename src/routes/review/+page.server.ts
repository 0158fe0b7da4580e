import * as runtime from '$lib/server/runtime';
import * as lists from '$lib/server/gold/lists';
import { queryDefaults, redirectPastTheEnd } from '$lib/server/listing';
import { requireRole } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

/** What waits longest is reviewed first. */
const defaults = { status: 'submitted', dir: 'asc' } as const;
const reviewQuerySchema = lists.goldQuerySchemaFor(defaults);

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'reviewer', 'admin');
	const db = runtime.db();
	const query = reviewQuerySchema.parse(event.url.searchParams);
	const { rows, total } = await lists.listGold(db, query);
	redirectPastTheEnd(event.url, { rows: rows.length, total, pageSize: query.pageSize });
	return { query, defaults: queryDefaults(reviewQuerySchema), statuses: lists.goldStatusFilters, rows, total, ...(await lists.goldFacets(db)) };
};
