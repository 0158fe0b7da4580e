import { z } from 'zod';

// What every server-driven table shares: page sizes, the paging fields of its
// URL query, and text search that means what the person typed.

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

/** An ILIKE pattern for "contains": `\`, `%` and `_` match themselves, so `a_b` finds "a_b", not "axb". */
export function containsPattern(text: string): string {
	return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
