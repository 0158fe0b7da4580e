import { json } from '@sveltejs/kit';
import { text } from '$lib/server/text';
import * as runtime from '$lib/server/runtime';
import * as arena from '$lib/server/evaluation/arena';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireArena } from '$lib/server/auth/guard';
import { findPersona } from '$lib/server/personas/find';
import type { RequestHandler } from './$types';

const bodySchema = arena.battleInputSchema.extend({ persona: text().max(100).optional() });

/**
 * Asks both models live and answers the blind battle. Safe to retry with the
 * same battleId. A model that does not answer is a 502 naming its picker's
 * field: the request was fine, the model server was not, and nothing was kept.
 */
export const POST: RequestHandler = async (event) => {
	const me = requireArena(event);
	return answer(async () => {
		const { persona: slug, ...input } = await parseJson(event, bodySchema);
		const db = runtime.db();
		const persona = await findPersona(db, slug);
		try {
			return { battle: await arena.startBattle(db, me, persona.id, input, { leaseMinutes: runtime.config().leaseMinutes }) };
		} catch (error) {
			if (error instanceof arena.ModelUnavailableError) return json({ message: error.message, errors: error.sides }, { status: 502 });
			throw error;
		}
	});
};
