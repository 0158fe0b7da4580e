import { redirect } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as lists from '$lib/server/gold/lists';
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
	// A stale link (rows reviewed meanwhile) lands on its last page rather than an empty one.
	if (rows.length === 0 && total > 0) {
		const target = new URL(event.url);
		target.searchParams.set('page', String(Math.ceil(total / query.pageSize)));
		redirect(303, target.pathname + target.search);
	}
	return { query, defaults, statuses: lists.goldStatusFilters, rows, total, ...(await lists.goldFacets(db)) };
};
