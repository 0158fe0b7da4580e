import { error } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as rounds from '$lib/server/evaluation/rounds';
import { roundResults } from '$lib/server/evaluation/results';
import { samplingProgress } from '$lib/server/sampling/jobs';
import { requireRole } from '$lib/server/auth/guard';
import { orNotFound } from '$lib/server/not-found';
import { refusal } from '$lib/server/training/pages';
import type { Actions, PageServerLoad } from './$types';

const gone = 'That evaluation round does not exist.';

async function roundOr404(id: string) {
	if (!z.uuid().safeParse(id).success) error(404, gone);
	const round = await orNotFound(rounds.getRound(runtime.db(), id));
	if (!round) error(404, gone);
	return round;
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const round = await roundOr404(event.params.id);
	return {
		results: await roundResults(db, round),
		sampling: round.samplingJob ? await samplingProgress(db, round.samplingJob.id) : null
	};
};

export const actions: Actions = {
	/** No new pairs from then on; the votes it has keep counting. Closing a closed round changes nothing. */
	close: async (event) => {
		const me = requireRole(event, 'admin');
		const round = await roundOr404(event.params.id);
		try {
			await rounds.closeRound(runtime.db(), round.id, { id: me.id, ip: event.getClientAddress() });
		} catch (thrown) {
			return refusal(thrown, { action: 'close' });
		}
		return { closed: true };
	}
};
