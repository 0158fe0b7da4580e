import * as runtime from '$lib/server/runtime';
import * as queue from '$lib/server/queue';
import { findPersona } from '$lib/server/personas/find';
import { answer } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/** The pairs in the annotator's hand (held first, topped up); the page calls it after being offline. */
export const GET: RequestHandler = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const db = runtime.db();
		const persona = await findPersona(db, event.url.searchParams.get('persona'));
		const settings = { leaseMinutes: runtime.config().leaseMinutes };
		return {
			pairs: await queue.pairsInHand(db, me.id, persona.id, settings),
			progress: await queue.progressOf(db, me.id, persona.id)
		};
	});
};
