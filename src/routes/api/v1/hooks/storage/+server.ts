import { json } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import { createRateLimiter } from '$lib/server/rate-limit';
import { receiveWebhook } from '$lib/server/training/webhook';
import type { RequestHandler } from './$types';

/** Per client address, for this instance (STORAGE_WEBHOOK_RATE_PER_MINUTE, read at each request). */
const limiter = createRateLimiter(() => runtime.config().storageWebhook.ratePerMinute);

/**
 * MinIO's webhook target (and AWS S3 notifications) POST here. Public by path
 * (the policy lets /api/v1/hooks through): the bearer token is the credential,
 * checked in constant time before the body is read. The answer comes once the
 * delivery is recorded; the work it starts runs as a job.
 */
export const POST: RequestHandler = async (event) => {
	const answer = await receiveWebhook(runtime.db(), event.request, event.getClientAddress(), {
		token: runtime.webhookToken(),
		bucket: runtime.storageBucket(),
		maxBytes: runtime.config().storageWebhook.maxBytes,
		limiter
	});
	return json(answer.body, { status: answer.status, headers: answer.headers });
};
