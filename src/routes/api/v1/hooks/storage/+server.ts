import { json } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import { receiveDelivery } from '$lib/server/training/receiver';
import type { RequestHandler } from './$types';

/**
 * MinIO's webhook target (and AWS S3 notifications) POST here. Public by path
 * (the policy lets /api/v1/hooks through): the bearer token is the credential,
 * checked in constant time. The answer comes once the delivery is recorded;
 * the work it starts runs as a job.
 */
export const POST: RequestHandler = async (event) => {
	const text = await event.request.text();
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		body = text.slice(0, 10_000);
	}
	const result = await receiveDelivery(runtime.db(), {
		authorization: event.request.headers.get('authorization'),
		body,
		remoteAddress: event.getClientAddress(),
		token: runtime.webhookToken(),
		bucket: runtime.storageBucket()
	});
	return json({ results: result.results }, { status: result.status });
};
