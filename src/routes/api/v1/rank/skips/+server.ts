import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as queue from '$lib/server/queue';
import { findPersona } from '$lib/server/personas/find';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ persona: z.string().max(100).optional(), pairId: z.uuid('pairId must be a UUID') });

/** Passes on a pair for good and answers with the pairs now in hand. */
export const POST: RequestHandler = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		const db = runtime.db();
		const persona = await findPersona(db, body.persona);
		await queue.skipPair(db, me.id, body.pairId);
		return { pairs: await queue.pairsInHand(db, me.id, persona.id, { leaseMinutes: runtime.config().leaseMinutes }) };
	});
};
