import { and, asc, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { qualityAnnotator, qualityFlags, user, type QualityFlag } from '../db/schema';
import { containsPattern, tableQuerySchema } from '../listing';

export const annotatorSortColumns = ['agreement', 'checkAccuracy', 'leftShare', 'votes', 'medianMs', 'flags', 'name'] as const;
export type AnnotatorSort = (typeof annotatorSortColumns)[number];

/**
 * The quality table's state in the URL (listing.ts: a bad sort or filter is
 * ignored and falls back to its default, never an error). Least agreement
 * first: whom to look at comes first.
 */
export const annotatorQuerySchema = tableQuerySchema({
	sorts: annotatorSortColumns,
	sort: 'agreement',
	dir: 'asc',
	filters: {
		flag: z.enum(qualityFlags).optional().catch(undefined),
		show: z.enum(['all', 'flagged']).catch('all')
	}
});
export type AnnotatorQuery = z.infer<typeof annotatorQuerySchema>;

/** One annotator's row of a snapshot, as the table, the drill-down and the home page show it. */
export type AnnotatorFigureRow = {
	annotatorId: string;
	name: string;
	email: string;
	votes: number;
	sharedPairs: number;
	agreement: number | null;
	agreementLow: number | null;
	agreementHigh: number | null;
	checkAnswers: number;
	checkAccuracy: number | null;
	checkLow: number | null;
	checkHigh: number | null;
	abVotes: number;
	leftShare: number | null;
	leftPValue: number | null;
	medianMs: number | null;
	fastVotes: number;
	longestRun: number;
	tieRate: number | null;
	offRate: number | null;
	strengthModeShare: number | null;
	flags: QualityFlag[];
};

const columns = {
	annotatorId: qualityAnnotator.annotatorId,
	name: user.displayName,
	email: user.email,
	votes: qualityAnnotator.votes,
	sharedPairs: qualityAnnotator.sharedPairs,
	agreement: qualityAnnotator.agreement,
	agreementLow: qualityAnnotator.agreementLow,
	agreementHigh: qualityAnnotator.agreementHigh,
	checkAnswers: qualityAnnotator.checkAnswers,
	checkAccuracy: qualityAnnotator.checkAccuracy,
	checkLow: qualityAnnotator.checkLow,
	checkHigh: qualityAnnotator.checkHigh,
	abVotes: qualityAnnotator.abVotes,
	leftShare: qualityAnnotator.leftShare,
	leftPValue: qualityAnnotator.leftPValue,
	medianMs: qualityAnnotator.medianMs,
	fastVotes: qualityAnnotator.fastVotes,
	longestRun: qualityAnnotator.longestRun,
	tieRate: qualityAnnotator.tieRate,
	offRate: qualityAnnotator.offRate,
	strengthModeShare: qualityAnnotator.strengthModeShare,
	flags: qualityAnnotator.flags
};

const flagCount = sql`cardinality(${qualityAnnotator.flags})`;
const sortExpressions: Record<AnnotatorSort, SQL | PgColumn> = {
	agreement: qualityAnnotator.agreement,
	checkAccuracy: qualityAnnotator.checkAccuracy,
	leftShare: qualityAnnotator.leftShare,
	votes: qualityAnnotator.votes,
	medianMs: qualityAnnotator.medianMs,
	flags: flagCount,
	name: user.displayName
};

function whereOf(snapshotId: string, query: AnnotatorQuery): SQL | undefined {
	const pattern = query.q ? containsPattern(query.q) : undefined;
	return and(
		eq(qualityAnnotator.snapshotId, snapshotId),
		pattern ? or(ilike(user.displayName, pattern), ilike(user.email, pattern)) : undefined,
		query.flag ? sql`${query.flag} = any(${qualityAnnotator.flags})` : undefined,
		query.show === 'flagged' ? sql`${flagCount} > 0` : undefined
	);
}

/**
 * One page of a snapshot's annotators, sorted and filtered in SQL. Figures
 * without a value (too few votes) sort last either way, so "lowest agreement"
 * starts with someone who has one.
 */
export async function listAnnotatorFigures(
	db: DbOrTx,
	snapshotId: string,
	query: AnnotatorQuery
): Promise<{ rows: AnnotatorFigureRow[]; total: number }> {
	const where = whereOf(snapshotId, query);
	const order = query.dir === 'asc' ? sql`asc nulls last` : sql`desc nulls last`;
	const rows = await db
		.select(columns)
		.from(qualityAnnotator)
		.innerJoin(user, eq(user.id, qualityAnnotator.annotatorId))
		.where(where)
		.orderBy(sql`${sortExpressions[query.sort]} ${order}`, asc(user.displayName), desc(qualityAnnotator.annotatorId))
		.limit(query.pageSize)
		.offset((query.page - 1) * query.pageSize);
	const [counted] = await db
		.select({ total: sql<number>`count(*)`.mapWith(Number) })
		.from(qualityAnnotator)
		.innerJoin(user, eq(user.id, qualityAnnotator.annotatorId))
		.where(where);
	return { rows: rows.map(typed), total: counted?.total ?? 0 };
}

/** One annotator's figures in a snapshot, or null when the snapshot has none for them. */
export async function annotatorFigures(db: DbOrTx, snapshotId: string, annotatorId: string): Promise<AnnotatorFigureRow | null> {
	const [row] = await db
		.select(columns)
		.from(qualityAnnotator)
		.innerJoin(user, eq(user.id, qualityAnnotator.annotatorId))
		.where(and(eq(qualityAnnotator.snapshotId, snapshotId), eq(qualityAnnotator.annotatorId, annotatorId)));
	return row ? typed(row) : null;
}

/** How many annotators carry each flag in a snapshot, in `qualityFlags` order: the filter's options and the dashboard's counts. */
export async function countFlags(db: DbOrTx, snapshotId: string): Promise<{ flagged: number; byFlag: Record<QualityFlag, number> }> {
	const rows = await db
		.select({ flag: sql<string>`unnest(${qualityAnnotator.flags})`, annotatorId: qualityAnnotator.annotatorId })
		.from(qualityAnnotator)
		.where(eq(qualityAnnotator.snapshotId, snapshotId));
	const byFlag = Object.fromEntries(qualityFlags.map((flag) => [flag, 0])) as Record<QualityFlag, number>;
	for (const row of rows) if (row.flag in byFlag) byFlag[row.flag as QualityFlag] += 1;
	return { flagged: new Set(rows.map((row) => row.annotatorId)).size, byFlag };
}

/** Flags written by a newer version than this one are dropped rather than shown unexplained. */
function typed(row: Omit<AnnotatorFigureRow, 'flags'> & { flags: string[] }): AnnotatorFigureRow {
	return { ...row, flags: row.flags.filter((flag): flag is QualityFlag => (qualityFlags as readonly string[]).includes(flag)) };
}
