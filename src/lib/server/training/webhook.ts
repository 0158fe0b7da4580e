import type { Db } from '../db';
import type { RateLimiter } from '../rate-limit';
import { receiveEvent, tokenMatches, type DeliveryOutcome } from './receiver';
import { recordRejection, type Rejection } from './rejections';

/**
 * One POST to the storage webhook, cheapest refusal first, so that nobody
 * without the token can make the server read, parse or store anything:
 * the address's rate limit (429), the bearer token (401; the body is not
 * read), the body's size (413, read with a cap, never buffered whole), then
 * the event itself. Refusals become counters and a bounded sample
 * (./rejections.ts); only authenticated events are recorded one by one.
 */

export type WebhookSettings = {
	/** The bearer token deliveries must carry (MinIO's `auth_token`). */
	token: string;
	bucket: string;
	/** STORAGE_WEBHOOK_MAX_BYTES */
	maxBytes: number;
	limiter: RateLimiter;
};

export type WebhookAnswer = {
	status: 202 | 400 | 401 | 413 | 429;
	body: { results: DeliveryOutcome[] } | { message: string };
	headers?: Record<string, string>;
};

export async function receiveWebhook(db: Db, request: Request, remoteAddress: string, settings: WebhookSettings): Promise<WebhookAnswer> {
	const declared = declaredBytes(request);
	const refuse = async (rejection: Omit<Rejection, 'remoteAddress'>, answer: WebhookAnswer): Promise<WebhookAnswer> => {
		// Whatever was not read stays unread: the answer goes out without it.
		await request.body?.cancel().catch(() => {});
		await recordRejection(db, { ...rejection, remoteAddress });
		return answer;
	};
	const retryAfter = settings.limiter.take(remoteAddress);
	if (retryAfter !== null)
		return refuse(
			{ reason: 'rate_limited', bytes: declared },
			{ status: 429, body: { message: `Too many deliveries from ${remoteAddress}: try again in ${retryAfter} s.` }, headers: { 'retry-after': String(retryAfter) } }
		);
	const authorization = request.headers.get('authorization');
	if (!tokenMatches(authorization, settings.token)) {
		const reason = authorization ? 'wrong_token' : 'no_token';
		return refuse({ reason, bytes: declared }, { status: 401, body: { message: authorization ? 'Wrong bearer token.' : 'No bearer token.' } });
	}
	const tooLarge = { status: 413, body: { message: `The body is over ${settings.maxBytes} bytes (STORAGE_WEBHOOK_MAX_BYTES): storage events are a few KiB.` } } as const;
	if (declared !== null && declared > settings.maxBytes) return refuse({ reason: 'too_large', bytes: declared }, tooLarge);
	const text = await readCapped(request, settings.maxBytes);
	if (text === null) return refuse({ reason: 'too_large', bytes: declared }, tooLarge);
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		await recordRejection(db, { reason: 'not_an_event', remoteAddress, bytes: Buffer.byteLength(text), detail: 'The body is not JSON.' });
		return { status: 400, body: { results: [{ outcome: 'rejected', reason: 'The body is not JSON.' }] } };
	}
	const result = await receiveEvent(db, { body, remoteAddress, bytes: Buffer.byteLength(text), bucket: settings.bucket });
	return { status: result.status, body: { results: result.results } };
}

function declaredBytes(request: Request): number | null {
	const header = request.headers.get('content-length');
	const bytes = header === null ? NaN : Number(header);
	return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : null;
}

/** The body as text, or null as soon as it passes `maxBytes` (the rest is never read). */
async function readCapped(request: Request, maxBytes: number): Promise<string | null> {
	if (!request.body) return '';
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > maxBytes) {
			await reader.cancel().catch(() => {});
			return null;
		}
		chunks.push(value);
	}
	return Buffer.concat(chunks).toString('utf8');
}
