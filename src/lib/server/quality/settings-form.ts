import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { job } from '../db/schema';
import { settingsForm } from '../settings-form';
import { REFRESH_JOB_KIND } from './refresh-request';
import { qualitySettingsSchema } from './settings';

/** The quality settings form: thresholds as numbers and the gold-edit check box (see settingsForm). */
export const qualitySettingsForm = settingsForm(qualitySettingsSchema, ['goldEditChecks']);

/** The persona's refresh that is waiting or running, if any: the page says so instead of offering a second one. */
export async function pendingRefresh(db: DbOrTx, personaId: string): Promise<{ id: string; status: string; createdAt: Date } | null> {
	const [row] = await db
		.select({ id: job.id, status: job.status, createdAt: job.createdAt })
		.from(job)
		.where(and(eq(job.kind, REFRESH_JOB_KIND), eq(job.personaId, personaId), inArray(job.status, ['queued', 'running'])))
		.orderBy(desc(job.createdAt))
		.limit(1);
	return row ?? null;
}
