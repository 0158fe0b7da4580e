import { z } from 'zod';
import { cleanJson, text, textProblem } from '../text';

/**
 * Object-store notifications, as MinIO's webhook target and AWS S3 send them
 * (contract: tests/contracts/minio_webhook_event.json; MinIO's docs/bucket/notifications/README.md).
 * MinIO wraps one record in `{EventName, Key, Records: [record]}` with
 * `eventName` "s3:ObjectCreated:Put"; AWS sends bare `{Records: [...]}` with
 * "ObjectCreated:Put". Both encode the key as a query string would (Go's
 * url.QueryEscape: `/` → `%2F`, space → `+`; AWS leaves `/` alone).
 */

const recordSchema = z.looseObject({
	eventName: text().min(1),
	eventTime: text().optional(),
	s3: z.looseObject({
		bucket: z.looseObject({ name: text().min(1) }),
		object: z.looseObject({
			key: text().min(1),
			size: z.number().optional(),
			eTag: text().optional(),
			sequencer: text().optional()
		})
	})
});

/**
 * MinIO's wrapper fields are optional, so one schema reads both shapes and its errors name the field.
 * Loose objects keep what they do not name, and deliveries are stored as jsonb: every string in it is checked.
 */
const eventSchema = cleanJson(z.looseObject({ EventName: text().optional(), Key: text().optional(), Records: z.array(recordSchema).min(1) }));

export type StorageRecord = {
	/** Without the `s3:` prefix: `ObjectCreated:Put`, `ObjectCreated:CompleteMultipartUpload`, … */
	eventName: string;
	bucket: string;
	/** Decoded: `datasets/lynn/lynn prefs/v3/manifest.json`. */
	key: string;
	/** Redeliveries of one event share it: MinIO's sequencer, else the eTag, else the event time. */
	dedupeKey: string;
	size: number | null;
};

/** Undoes Go's url.QueryEscape (and AWS's key encoding): `+` is a space, `%XX` a byte. */
export function decodeEventKey(key: string): string {
	return decodeURIComponent(key.replace(/\+/g, '%20'));
}

/** The records of one delivery; throws with what is wrong when it is neither shape. */
export function parseStorageEvent(body: unknown): StorageRecord[] {
	const parsed = eventSchema.safeParse(body);
	if (!parsed.success)
		throw new Error(
			`Not an S3 / MinIO event: ${parsed.error.issues
				.slice(0, 3)
				.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
				.join('; ')}`
		);
	return parsed.data.Records.map((record, i) => {
		const key = decodeEventKey(record.s3.object.key);
		// `%00` decodes to NUL: the key as stored is checked, not only as sent.
		const problem = textProblem(key);
		if (problem) throw new Error(`Not an S3 / MinIO event: Records.${i}.s3.object.key: ${problem}`);
		const bucket = record.s3.bucket.name;
		const instance = record.s3.object.sequencer ?? record.s3.object.eTag ?? record.eventTime ?? '';
		return {
			eventName: record.eventName.replace(/^s3:/, ''),
			bucket,
			key,
			dedupeKey: `${bucket}/${key}#${instance}`,
			size: record.s3.object.size ?? null
		};
	});
}

/** The events that mean "this object is now complete". */
export function isObjectCreated(eventName: string): boolean {
	return eventName === 'ObjectCreated:Put' || eventName === 'ObjectCreated:CompleteMultipartUpload';
}

/** What a MinIO webhook target would POST for `key` (the local store sends this to the receiver). */
export function minioEventFor(input: { bucket: string; key: string; size: number; eTag: string; sequencer: string; at: Date }): Record<string, unknown> {
	const escaped = encodeURIComponent(input.key).replace(/%20/g, '+');
	const eventName = 's3:ObjectCreated:Put';
	return {
		EventName: eventName,
		Key: `${input.bucket}/${input.key}`,
		Records: [
			{
				eventVersion: '2.0',
				eventSource: 'minio:s3',
				awsRegion: '',
				eventTime: input.at.toISOString(),
				eventName,
				userIdentity: { principalId: 'codelynn-local-store' },
				s3: {
					s3SchemaVersion: '1.0',
					configurationId: 'codelynn-local',
					bucket: { name: input.bucket, ownerIdentity: { principalId: 'codelynn-local-store' }, arn: `arn:aws:s3:::${input.bucket}` },
					object: { key: escaped, size: input.size, eTag: input.eTag, contentType: 'application/json', sequencer: input.sequencer }
				}
			}
		]
	};
}
