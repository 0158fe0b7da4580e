import { z } from 'zod';
import { text } from '$lib/server/text';
import * as queue from '$lib/server/queue';
import { answer, parseJson } from '$lib/server/api/respond';
import { rankContext } from '$lib/server/api/rank-context';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ persona: text().max(100).optional(), judgment: queue.judgmentInputSchema });

/**
 * Records a judgment and answers with the pairs now in hand, so submit and
 * "next" are one round trip. Safe to retry: the same clientId is stored once.
 */
export const POST: RequestHandler = async (event) => {
	requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		const { me, db, persona, leaseMinutes } = await rankContext(event, body.persona);
		const { result, pairs } = await queue.submitAndNext(db, me.id, persona.id, body.judgment, { leaseMinutes, checkEvery: persona.checkEvery });
		return { status: result.status, judgmentId: result.judgmentId, pairs };
	});
};
