import { goto } from '$app/navigation';
import {
	columnFilteringFeature,
	createColumnHelper,
	createTable,
	globalFilteringFeature,
	rowPaginationFeature,
	rowSortingFeature,
	tableFeatures,
	type ColumnDef,
	type ColumnFiltersState,
	type PaginationState,
	type RowData,
	type SortingState,
	type Updater
} from '@tanstack/svelte-table';

/** The URL query every server-driven table shares (server/listing.ts `tableQuerySchema`), plus its own filters. */
export type TableQuery = { q: string; sort: string; dir: 'asc' | 'desc'; page: number; pageSize: number };

export const pageSizes = [10, 25, 50, 100] as const;
export const serverTableFeatures = tableFeatures({ rowSortingFeature, rowPaginationFeature, columnFilteringFeature, globalFilteringFeature });
export type ServerTableFeatures = typeof serverTableFeatures;

/** Columns for a server-driven table of `Row`s. */
export const columnHelper = <Row extends RowData>() => createColumnHelper<ServerTableFeatures, Row>();

/** The server filters; the table only carries the values, so its own filter functions keep every row. */
export const keepAll = (): boolean => true;

/**
 * The link to the same table with `changes`: only what differs from the page's
 * defaults goes in the URL (sort and dir together), after `keep` (e.g. persona).
 */
export function tableHref<Q extends TableQuery>(path: string, query: Q, defaults: Q, changes: Partial<Q>, keep: Record<string, string> = {}): string {
	const next: Record<string, unknown> = { ...query, ...changes };
	const params = new URLSearchParams(keep);
	for (const [key, value] of Object.entries(next)) {
		if (key === 'sort' || key === 'dir' || value === undefined || value === '' || value === null) continue;
		if (value !== (defaults as Record<string, unknown>)[key]) params.set(key, String(value));
	}
	if (next.sort !== defaults.sort || next.dir !== defaults.dir) params.set('sort', String(next.sort)), params.set('dir', String(next.dir));
	return params.size ? `${path}?${params}` : path;
}

type Options<Row extends RowData, Q extends TableQuery> = {
	/** Getters, so the table follows the page's data after every navigation. */
	rows: () => Row[];
	total: () => number;
	query: () => Q;
	defaults: () => Q;
	path: () => string;
	keep?: () => Record<string, string>;
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- columns of mixed value types
	columns: ColumnDef<ServerTableFeatures, Row, any>[];
	/** Query fields that are column filters of the same id. */
	filterIds?: Array<keyof Q & string>;
	rowId: (row: Row) => string;
};

const resolve = <T>(updater: Updater<T>, current: T): T => (typeof updater === 'function' ? (updater as (old: T) => T)(current) : updater);

/**
 * A TanStack table whose only state is the URL: every sort, page or filter
 * change becomes a navigation, the server sorts, filters and pages, and
 * back/forward or reload show the same view.
 */
export function createServerTable<Row extends RowData, Q extends TableQuery>(options: Options<Row, Q>) {
	const filterIds = options.filterIds ?? [];
	const sorting: SortingState = $derived([{ id: options.query().sort, desc: options.query().dir === 'desc' }]);
	const pagination: PaginationState = $derived({ pageIndex: options.query().page - 1, pageSize: options.query().pageSize });
	const columnFilters: ColumnFiltersState = $derived(
		filterIds.flatMap((id) => (options.query()[id] ? [{ id, value: options.query()[id] }] : []))
	);

	const hrefFor = (changes: Partial<Q>): string =>
		tableHref(options.path(), options.query(), options.defaults(), changes, options.keep?.() ?? {});
	const show = (changes: Partial<Q>, replaceState = false): void =>
		void goto(hrefFor(changes), { keepFocus: true, noScroll: true, replaceState });

	const table = createTable({
		features: serverTableFeatures,
		columns: options.columns,
		get data() {
			return options.rows();
		},
		get rowCount() {
			return options.total();
		},
		getRowId: options.rowId,
		manualSorting: true,
		manualPagination: true,
		manualFiltering: true,
		globalFilterFn: keepAll,
		enableSortingRemoval: false,
		enableMultiSort: false,
		state: {
			get sorting() {
				return sorting;
			},
			get pagination() {
				return pagination;
			},
			get columnFilters() {
				return columnFilters;
			},
			get globalFilter() {
				return options.query().q;
			}
		},
		onSortingChange: (updater) => {
			const [first] = resolve(updater, sorting);
			if (first) show({ sort: first.id, dir: first.desc ? 'desc' : 'asc', page: 1 } as Partial<Q>);
		},
		onPaginationChange: (updater) => {
			const next = resolve(updater, pagination);
			show({ page: next.pageIndex + 1, pageSize: next.pageSize } as Partial<Q>);
		},
		onColumnFiltersChange: (updater) => {
			const next = resolve(updater, columnFilters);
			const changes: Record<string, unknown> = { page: 1 };
			for (const id of filterIds) changes[id] = (next.find((filter) => filter.id === id)?.value as string | undefined) || undefined;
			show(changes as Partial<Q>);
		},
		onGlobalFilterChange: (updater) => show({ q: String(resolve(updater, options.query().q) ?? ''), page: 1 } as Partial<Q>, true)
	});

	return { table, hrefFor, show, search: createSearch(options.query, (q) => table.setGlobalFilter(q)) };
}

/** Typing filters after a pause; a trailing space alone is not a new search. */
function createSearch(query: () => TableQuery, apply: (q: string) => void) {
	let value = $derived(query().q);
	let typing: ReturnType<typeof setTimeout> | undefined;
	return {
		get value() {
			return value;
		},
		input(next: string): void {
			value = next;
			clearTimeout(typing);
			typing = setTimeout(() => {
				if (next.trim() !== query().q) apply(next.trim());
			}, 300);
		},
		submit(event: Event): void {
			event.preventDefault();
			clearTimeout(typing);
			apply(value.trim());
		}
	};
}
