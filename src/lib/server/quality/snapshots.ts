import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { qualitySnapshot } from '../db/schema';
import { qualityFiguresSchema, type QualityFigures } from './figures';
import { parseQualitySettings, type QualitySettings } from './settings';

/** A persona's quality snapshot as the pages, the dashboard and dataset filters read it. */
export type QualitySnapshot = {
	id: string;
	computedAt: Date;
	judgments: number;
	lastJudgmentAt: Date | null;
	durationMs: number;
	settings: QualitySettings;
	figures: QualityFigures;
};

type SnapshotRow = typeof qualitySnapshot.$inferSelect;

/**
 * The stored JSON is parsed on every read: a snapshot written by an older
 * version whose figures no longer parse is a loud error naming the snapshot,
 * not a page that renders half a chart.
 */
function toSnapshot(row: SnapshotRow): QualitySnapshot {
	const figures = qualityFiguresSchema.safeParse(row.figures);
	if (!figures.success) throw new Error(`quality snapshot ${row.id} has figures that do not parse: ${figures.error.message}`);
	return {
		id: row.id,
		computedAt: row.computedAt,
		judgments: row.judgments,
		lastJudgmentAt: row.lastJudgmentAt,
		durationMs: row.durationMs,
		settings: parseQualitySettings(row.settings),
		figures: figures.data
	};
}

/** The persona's newest snapshot, or null before the first refresh. */
export async function latestSnapshot(db: DbOrTx, personaId: string): Promise<QualitySnapshot | null> {
	const [row] = await db
		.select()
		.from(qualitySnapshot)
		.where(eq(qualitySnapshot.personaId, personaId))
		.orderBy(desc(qualitySnapshot.computedAt))
		.limit(1);
	return row ? toSnapshot(row) : null;
}

/**
 * One snapshot per UTC day over the last `days` days (today included), the
 * newest of each day, oldest first: the dashboard's burn-down reads
 * `figures.queue` from them.
 */
export async function snapshotHistory(db: DbOrTx, personaId: string, days: number): Promise<QualitySnapshot[]> {
	const since = sql`(date_trunc('day', now() at time zone 'UTC') - make_interval(days => ${Math.max(0, Math.floor(days) - 1)})) at time zone 'UTC'`;
	const day = sql`date_trunc('day', ${qualitySnapshot.computedAt} at time zone 'UTC')`;
	const newestOfDay = db
		.selectDistinctOn([day], { id: qualitySnapshot.id })
		.from(qualitySnapshot)
		.where(and(eq(qualitySnapshot.personaId, personaId), gte(qualitySnapshot.computedAt, since)))
		.orderBy(day, desc(qualitySnapshot.computedAt));
	const rows = await db
		.select()
		.from(qualitySnapshot)
		.where(sql`${qualitySnapshot.id} in ${newestOfDay}`)
		.orderBy(qualitySnapshot.computedAt);
	return rows.map(toSnapshot);
}
