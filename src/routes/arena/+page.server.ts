import * as runtime from '$lib/server/runtime';
import * as arena from '$lib/server/evaluation/arena';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireArena } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const me = requireArena(event);
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		fighters: await arena.listFighters(db, persona.id),
		// a battle fetched but not yet voted on comes back after a reload, while its hold lasts
		open: await arena.openBattle(db, me, persona.id),
		promptMax: arena.PROMPT_MAX
	};
};
