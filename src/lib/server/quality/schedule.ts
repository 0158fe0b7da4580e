import { sql } from 'drizzle-orm';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { judgmentMark, type JudgmentMark } from './crowd-sql';
import { requestRefresh } from './refresh-request';
import { parseQualitySettings, readQualitySettings, type QualitySettings } from './settings';

/** What the newest snapshot was computed from, and when. */
export type SnapshotMark = JudgmentMark & { computedAt: Date; durationMs: number; settings: QualitySettings };

export async function snapshotMark(db: DbOrTx, personaId: string): Promise<SnapshotMark | null> {
	const [row] = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select computed_at, duration_ms, judgments, last_judgment_at, settings,
				coalesce((figures -> 'checks' ->> 'pairs')::int, 0) as check_pairs
			from quality_snapshot where persona_id = ${personaId}
			order by computed_at desc limit 1`)
	);
	if (!row) return null;
	return {
		computedAt: new Date(row.computed_at as string),
		durationMs: Number(row.duration_ms),
		judgments: Number(row.judgments),
		lastJudgmentAt: row.last_judgment_at ? new Date(row.last_judgment_at as string) : null,
		checkPairs: Number(row.check_pairs),
		settings: parseQualitySettings(typeof row.settings === 'string' ? JSON.parse(row.settings) : row.settings)
	};
}

/** How often the scheduler looks: a quarter of the refresh interval, between 1 s and a minute. */
export function tickMs(refreshMs: number): number {
	return Math.min(60_000, Math.max(1000, Math.round(refreshMs / 4)));
}

function sameSettings(a: QualitySettings, b: QualitySettings): boolean {
	return (Object.keys(a) as Array<keyof QualitySettings>).every((key) => a[key] === b[key]);
}

/**
 * Whether a persona needs a new snapshot now. Nothing changed (same
 * judgments, newest judgment, checks and settings): never. Changed: when
 * waiting for the next look would let the snapshot grow older than
 * `refreshMs` (its age, plus one tick, plus the time the last refresh took).
 * No snapshot yet: as soon as there is a judgment.
 */
export function refreshDue(
	current: JudgmentMark & { settings: QualitySettings },
	latest: SnapshotMark | null,
	now: Date,
	refreshMs: number
): boolean {
	if (!latest) return current.judgments > 0;
	const changed =
		current.judgments !== latest.judgments ||
		current.lastJudgmentAt?.getTime() !== latest.lastJudgmentAt?.getTime() ||
		current.checkPairs !== latest.checkPairs ||
		!sameSettings(current.settings, latest.settings);
	if (!changed) return false;
	const age = now.getTime() - latest.computedAt.getTime();
	return age + tickMs(refreshMs) + latest.durationMs >= refreshMs;
}

/** One look over every persona: queues a refresh where one is due. Returns the personas asked for. */
export async function requestDueRefreshes(db: Db, refreshMs: number): Promise<string[]> {
	const personas = rowsOf<{ id: string; now: string | Date }>(await db.execute(sql`select id, now() as now from persona order by id`));
	const requested: string[] = [];
	for (const { id, now } of personas) {
		const current = { ...(await judgmentMark(db, id)), settings: await readQualitySettings(db, id) };
		if (!refreshDue(current, await snapshotMark(db, id), new Date(now), refreshMs)) continue;
		await requestRefresh(db, id);
		requested.push(id);
	}
	return requested;
}
