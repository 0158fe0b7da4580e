import * as runtime from '$lib/server/runtime';
import { leaderboard, verdictFor } from '$lib/server/evaluation/results';
import type { Verdict } from '$lib/server/evaluation/types';
import { loopOf } from '$lib/server/training/loop';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const turns = await loopOf(db, persona.id);
	// A candidate's verdict is against the current model; the current model's, against the baseline of its newest round (the
	// evidence it was promoted on). A retired version's would be against today's model, which is not its question: it shows its rating.
	const verdicts: Record<string, Verdict> = {};
	for (const chain of turns.flatMap((turn) => turn.chains))
		if (chain.candidate && chain.candidate.status !== 'retired') verdicts[chain.candidate.id] = await verdictFor(db, chain.candidate.id);
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		turns,
		verdicts,
		leaderboard: await leaderboard(db, persona.id)
	};
};
