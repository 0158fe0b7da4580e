import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as queue from '$lib/server/queue';
import { findPersona } from '$lib/server/personas/find';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ persona: z.string().max(100).optional(), clientId: z.uuid('clientId must be a UUID') });

/** Takes back the annotator's last judgment (within the undo window); the pair comes back first in hand. */
export const POST: RequestHandler = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		const db = runtime.db();
		const cfg = runtime.config();
		const persona = await findPersona(db, body.persona);
		const back = await queue.undoJudgment(db, me.id, body.clientId, cfg.undoSeconds, cfg.leaseMinutes);
		const pairs = await queue.pairsInHand(db, me.id, persona.id, { leaseMinutes: cfg.leaseMinutes });
		const undone = pairs.filter((p) => p.pairId === back.pairId);
		return {
			pairs: [...undone, ...pairs.filter((p) => p.pairId !== back.pairId)],
			progress: await queue.progressOf(db, me.id, persona.id)
		};
	});
};
