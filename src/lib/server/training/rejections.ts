import { desc, sql } from 'drizzle-orm';
import { storableJson } from '../text';
import { rowsOf, type DbOrTx } from '../db';
import { WEBHOOK_REJECTION_SAMPLES, webhookRejectionSample, type WebhookRejectionReason } from '../db/schema';

/**
 * Deliveries the storage webhook turned away, kept so that a flood cannot
 * grow the database: a counter per hour and reason, and the last
 * WEBHOOK_REJECTION_SAMPLES of them (address, reason, time, size) in a ring
 * of fixed slots for diagnosis. The token a sender tried is never stored.
 */

export type Rejection = { reason: WebhookRejectionReason; remoteAddress: string | null; bytes: number | null; detail?: string };

const DETAIL_CHARS = 200;

export async function recordRejection(db: DbOrTx, rejection: Rejection): Promise<void> {
	await db.execute(sql`
		insert into webhook_rejection_count (hour, reason, count)
		values (date_trunc('hour', now()), ${rejection.reason}, 1)
		on conflict (hour, reason) do update set count = webhook_rejection_count.count + 1`);
	await db.execute(sql`
		insert into webhook_rejection_sample (slot, reason, remote_address, bytes, detail, received_at)
		values (nextval('webhook_rejection_seq') % ${WEBHOOK_REJECTION_SAMPLES}, ${rejection.reason}, ${rejection.remoteAddress},
			${rejection.bytes}, ${rejection.detail === undefined ? null : (storableJson(rejection.detail.slice(0, DETAIL_CHARS)) as string)}, now())
		on conflict (slot) do update set reason = excluded.reason, remote_address = excluded.remote_address,
			bytes = excluded.bytes, detail = excluded.detail, received_at = excluded.received_at`);
}

export type RejectionCounts = { reason: WebhookRejectionReason; lastHour: number; lastDay: number; lastWeek: number };

/** Per reason: rejections this hour and the one before, the last 24 hours and the last 7 days. */
export async function rejectionCounts(db: DbOrTx): Promise<RejectionCounts[]> {
	const rows = rowsOf<{ reason: WebhookRejectionReason; last_hour: string; last_day: string; last_week: string }>(
		await db.execute(sql`
			select reason,
				sum(count) filter (where hour >= date_trunc('hour', now()) - interval '1 hour') as last_hour,
				sum(count) filter (where hour >= date_trunc('hour', now()) - interval '23 hours') as last_day,
				sum(count) as last_week
			from webhook_rejection_count
			where hour >= date_trunc('hour', now()) - interval '7 days'
			group by reason
			order by sum(count) desc`)
	);
	return rows.map((r) => ({ reason: r.reason, lastHour: Number(r.last_hour ?? 0), lastDay: Number(r.last_day ?? 0), lastWeek: Number(r.last_week ?? 0) }));
}

export type SampledRejection = typeof webhookRejectionSample.$inferSelect;

export async function rejectionSample(db: DbOrTx): Promise<SampledRejection[]> {
	return db.select().from(webhookRejectionSample).orderBy(desc(webhookRejectionSample.receivedAt));
}
