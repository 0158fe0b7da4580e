import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as queue from '$lib/server/queue';
import { findPersona } from '$lib/server/personas/find';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ persona: z.string().max(100).optional(), judgment: queue.judgmentInputSchema });

/**
 * Records a judgment and answers with the pairs now in hand, so submit and
 * "next" are one round trip. Safe to retry: the same clientId is stored once.
 */
export const POST: RequestHandler = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		const db = runtime.db();
		const persona = await findPersona(db, body.persona);
		const { result, pairs } = await queue.submitAndNext(db, me.id, persona.id, body.judgment, {
			leaseMinutes: runtime.config().leaseMinutes
		});
		return { status: result.status, judgmentId: result.judgmentId, pairs };
	});
};
