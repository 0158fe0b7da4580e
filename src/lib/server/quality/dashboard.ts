import type { DbOrTx } from '../db';
import type { QualityFlag } from '../db/schema';
import { countFlags, listAnnotatorFigures, annotatorQuerySchema } from './annotator-table';
import { latestSnapshot, snapshotHistory } from './snapshots';

/** Days the dashboard's charts look back. */
export const DASHBOARD_DAYS = 30;

export type QueueDay = { day: string; open: number; leased: number; done: number };

export type QualityDashboard = {
	computedAt: Date | null;
	/** Judgments per UTC day over the last DASHBOARD_DAYS days, from the newest snapshot. */
	perDay: Array<{ day: string; judgments: number }>;
	/** The queue as each day's newest snapshot saw it: the burn-down. */
	burnDown: QueueDay[];
	flagged: { count: number; first: Array<{ id: string; name: string; flags: QualityFlag[] }> };
};

/**
 * The quality side of the admin home, from snapshots only (never the
 * judgments themselves), so it costs the same at a million votes as at ten.
 */
export async function readQualityDashboard(db: DbOrTx, personaId: string): Promise<QualityDashboard> {
	const [snapshot, history] = await Promise.all([latestSnapshot(db, personaId), snapshotHistory(db, personaId, DASHBOARD_DAYS)]);
	const burnDown = history.map(({ computedAt, figures: { queue } }) => ({
		day: computedAt.toISOString().slice(0, 10),
		open: queue.open,
		leased: queue.leased,
		done: queue.done
	}));
	if (!snapshot) return { computedAt: null, perDay: [], burnDown, flagged: { count: 0, first: [] } };
	const since = new Date(Date.now() - DASHBOARD_DAYS * 86_400_000).toISOString().slice(0, 10);
	const flaggedQuery = annotatorQuerySchema.parse({ show: 'flagged', sort: 'flags', dir: 'desc', pageSize: '10' });
	const [counts, flagged] = await Promise.all([countFlags(db, snapshot.id), listAnnotatorFigures(db, snapshot.id, flaggedQuery)]);
	return {
		computedAt: snapshot.computedAt,
		perDay: snapshot.figures.perDay.filter((d) => d.day >= since),
		burnDown,
		flagged: { count: counts.flagged, first: flagged.rows.map((row) => ({ id: row.annotatorId, name: row.name, flags: row.flags })) }
	};
}
