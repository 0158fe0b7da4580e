import { z } from 'zod';
import { text } from '$lib/server/text';
import * as queue from '$lib/server/queue';
import { answer, parseJson } from '$lib/server/api/respond';
import { rankContext } from '$lib/server/api/rank-context';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ persona: text().max(100).optional(), pairId: z.uuid('pairId must be a UUID') });

/** Passes on a pair for good and answers with the pairs now in hand. */
export const POST: RequestHandler = async (event) => {
	requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		const { me, db, persona, leaseMinutes } = await rankContext(event, body.persona);
		await queue.skipPair(db, me.id, body.pairId);
		return { pairs: await queue.pairsInHand(db, me.id, persona.id, { leaseMinutes, checkEvery: persona.checkEvery }) };
	});
};
