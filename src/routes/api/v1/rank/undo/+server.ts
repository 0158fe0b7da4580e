import { z } from 'zod';
import { text } from '$lib/server/text';
import * as queue from '$lib/server/queue';
import { answer, parseJson } from '$lib/server/api/respond';
import { rankContext } from '$lib/server/api/rank-context';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ persona: text().max(100).optional(), clientId: z.uuid('clientId must be a UUID') });

/**
 * Takes back the annotator's last judgment (within the undo window); the pair
 * comes back first in hand. A retry of an undo that already took effect
 * answers success with `already: true`.
 */
export const POST: RequestHandler = async (event) => {
	requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		const { me, db, persona, leaseMinutes, undoSeconds } = await rankContext(event, body.persona);
		const back = await queue.undoJudgment(db, me.id, body.clientId, undoSeconds, leaseMinutes);
		const pairs = await queue.pairsInHand(db, me.id, persona.id, { leaseMinutes, checkEvery: persona.checkEvery });
		return {
			undone: true,
			already: back.already,
			pairs: [...pairs.filter((p) => p.pairId === back.pairId), ...pairs.filter((p) => p.pairId !== back.pairId)],
			progress: await queue.progressOf(db, me.id, persona.id)
		};
	});
};
