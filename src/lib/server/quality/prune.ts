import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';

/** Days of history kept (one snapshot per UTC day): the burn-down asks for 90, a year and a bit leaves room. */
export const KEEP_DAYS = 400;
/**
 * Every snapshot younger than this is kept: a page that read the newest
 * snapshot's id a moment ago still finds its annotator rows after a refresh.
 */
export const KEEP_RECENT_MINUTES = 60;

/**
 * Bounded growth: per persona, the newest snapshot of each UTC day for
 * KEEP_DAYS days, every snapshot of the last KEEP_RECENT_MINUTES, and `keep`
 * (the one just written). At most KEEP_DAYS + one hour of refreshes remain;
 * annotator rows go with their snapshot (cascade).
 */
export async function pruneSnapshots(db: DbOrTx, personaId: string, keep: string): Promise<void> {
	await db.execute(sql`
		delete from quality_snapshot s
		where s.persona_id = ${personaId} and s.id <> ${keep}
			and s.computed_at < now() - make_interval(mins => ${KEEP_RECENT_MINUTES})
			and (s.computed_at < now() - make_interval(days => ${KEEP_DAYS})
				or s.id not in (
					select distinct on (date_trunc('day', d.computed_at at time zone 'UTC')) d.id
					from quality_snapshot d where d.persona_id = ${personaId}
					order by date_trunc('day', d.computed_at at time zone 'UTC'), d.computed_at desc
				))`);
}
