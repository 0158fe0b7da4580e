import { isRedirect } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { queryDefaults, redirectPastTheEnd, tableQuerySchema, tagFilter } from './listing';

const schema = tableQuerySchema({
	sorts: ['createdAt', 'name'],
	sort: 'createdAt',
	dir: 'asc',
	filters: { domain: tagFilter(), show: z.enum(['all', 'flagged']).catch('all') }
});
const parse = (query: string) => schema.parse(new URLSearchParams(query));

describe('a server-driven table’s URL query', () => {
	it('reads search, filters, sort and paging from the URL', () => {
		expect(parse('q=%20lynn%20&domain=maths&show=flagged&sort=name&dir=desc&page=3&pageSize=50')).toEqual({
			q: 'lynn',
			domain: 'maths',
			show: 'flagged',
			sort: 'name',
			dir: 'desc',
			page: 3,
			pageSize: 50
		});
	});

	it('ignores every bad value — it falls back to the default — so a stale or hand-edited link is never an error', () => {
		const defaults = queryDefaults(schema);
		expect(defaults).toEqual({ q: '', domain: undefined, show: 'all', sort: 'createdAt', dir: 'asc', page: 1, pageSize: 25 });
		expect(parse('q=a%00b&domain=Robert%27);DROP&show=maybe&sort=password_hash&dir=up&page=0&pageSize=1000000')).toEqual(defaults);
		expect(parse('page=1.5&pageSize=26&sort=')).toEqual(defaults);
	});

	it('cuts a long search to 200 characters instead of refusing it', () => {
		expect(parse(`q=${'x'.repeat(500)}`).q).toHaveLength(200);
	});

	it('sends a page past the end to the last page, and leaves an empty table alone', () => {
		const url = new URL('http://localhost/admin/users?q=a&page=9');
		let thrown: unknown;
		try {
			redirectPastTheEnd(url, { rows: 0, total: 30, pageSize: 25 });
		} catch (caught) {
			thrown = caught;
		}
		expect(isRedirect(thrown) && thrown.location).toBe('/admin/users?q=a&page=2');
		expect(() => redirectPastTheEnd(url, { rows: 0, total: 0, pageSize: 25 })).not.toThrow();
	});
});
