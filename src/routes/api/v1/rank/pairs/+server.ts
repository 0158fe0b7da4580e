import * as queue from '$lib/server/queue';
import { answer } from '$lib/server/api/respond';
import { rankContext } from '$lib/server/api/rank-context';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/** The pairs in the annotator's hand (held first, topped up); the page calls it after being offline. */
export const GET: RequestHandler = async (event) => {
	requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const { me, db, persona, leaseMinutes } = await rankContext(event, event.url.searchParams.get('persona'));
		return {
			pairs: await queue.pairsInHand(db, me.id, persona.id, { leaseMinutes, checkEvery: persona.checkEvery }),
			progress: await queue.progressOf(db, me.id, persona.id)
		};
	});
};
