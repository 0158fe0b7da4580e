import { createHash, timingSafeEqual } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { rowsOf, type Db, type Tx } from '../db';
import { dataset, datasetVersion, storageEvent } from '../db/schema';
import { isObjectCreated, parseStorageEvent, type StorageRecord } from './events';
import { CHAIN_JOB, chainDedupeKey } from './chain-key';
import { recordRejection } from './rejections';
import { parseManifestKey } from '../datasets/layout';

/**
 * The storage webhook's receiver, for deliveries that passed the token check
 * (./webhook.ts): records each event (accepted, duplicate or ignored, for the
 * admins' deliveries table), and for a dataset version's manifest queues that
 * version's training chain, once. A body that is not an event is counted as
 * a rejection (./rejections.ts), not stored.
 * Deliveries are at-least-once, repeated and unordered: the chain job's
 * unique dedupe key makes a repeat a no-op, and the job itself waits for a
 * version whose manifest event arrived before the version was recorded as
 * published.
 */

export type Delivery = {
	body: unknown;
	remoteAddress: string | null;
	/** The body's size in bytes, for the rejection sample. */
	bytes: number | null;
	/** The bucket the platform publishes to; events about other buckets are ignored. */
	bucket: string;
};

export type DeliveryOutcome = { outcome: 'accepted' | 'duplicate' | 'ignored' | 'rejected'; reason: string; datasetVersionId?: string };
export type DeliveryResult = { status: 202 | 400; results: DeliveryOutcome[] };

/** Hashing first makes the comparison constant-time whatever the lengths. */
export function tokenMatches(authorization: string | null, token: string): boolean {
	const given = /^Bearer (.+)$/i.exec(authorization?.trim() ?? '')?.[1] ?? '';
	const digest = (value: string) => createHash('sha256').update(value).digest();
	return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

async function record(tx: Db | Tx, row: typeof storageEvent.$inferInsert): Promise<void> {
	await tx.insert(storageEvent).values(row);
}

/** An authenticated delivery's events, each recorded with what became of it. */
export async function receiveEvent(db: Db, delivery: Delivery): Promise<DeliveryResult> {
	let records: StorageRecord[];
	try {
		records = parseStorageEvent(delivery.body);
	} catch (error) {
		const reason = (error as Error).message;
		await recordRejection(db, { reason: 'not_an_event', remoteAddress: delivery.remoteAddress, bytes: delivery.bytes, detail: reason });
		return { status: 400, results: [{ outcome: 'rejected', reason }] };
	}
	const results: DeliveryOutcome[] = [];
	for (const one of records) results.push(await receiveRecord(db, one, delivery));
	return { status: 202, results };
}

async function receiveRecord(db: Db, one: StorageRecord, delivery: Delivery): Promise<DeliveryOutcome> {
	return db.transaction(async (tx) => {
		const outcome = await decide(tx, one, delivery.bucket);
		await record(tx, {
			dedupeKey: one.dedupeKey,
			eventName: one.eventName,
			bucket: one.bucket,
			objectKey: one.key,
			payload: delivery.body as Record<string, unknown>,
			outcome: outcome.outcome,
			reason: outcome.reason,
			remoteAddress: delivery.remoteAddress,
			datasetVersionId: outcome.datasetVersionId ?? null
		});
		return outcome;
	});
}

async function decide(tx: Tx, one: StorageRecord, bucket: string): Promise<DeliveryOutcome> {
	if (one.bucket !== bucket) return { outcome: 'ignored', reason: `bucket ${one.bucket} is not the platform's (${bucket})` };
	const manifest = parseManifestKey(one.key);
	if (!manifest) return { outcome: 'ignored', reason: 'not a dataset version manifest' };
	if (!isObjectCreated(one.eventName)) return { outcome: 'ignored', reason: `${one.eventName} is not a completed upload` };
	const [version] = await tx
		.select({ id: datasetVersion.id, personaId: dataset.personaId })
		.from(datasetVersion)
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
		.where(eq(datasetVersion.objectPrefix, manifest.prefix));
	if (!version) return { outcome: 'ignored', reason: `no dataset version is published under ${manifest.prefix}` };
	const queued = rowsOf<{ id: string }>(
		await tx.execute(sql`
			insert into job (kind, payload, persona_id, dedupe_key)
			values (${CHAIN_JOB}, ${JSON.stringify({ versionId: version.id, chain: 1 })}::jsonb, ${version.personaId}, ${chainDedupeKey(version.id, 1)})
			on conflict (dedupe_key) do nothing
			returning id`)
	);
	return queued.length
		? { outcome: 'accepted', reason: `training chain queued (job ${queued[0]!.id})`, datasetVersionId: version.id }
		: { outcome: 'duplicate', reason: 'this version already has its training chain', datasetVersionId: version.id };
}
