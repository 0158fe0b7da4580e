import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as arena from '$lib/server/evaluation/arena';
import { answer, throwJson } from '$lib/server/api/respond';
import { requireArena } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/** Which model wrote which side of one of your battles: 409 before your vote, 404 for a battle that is not yours. */
export const GET: RequestHandler = async (event) => {
	const me = requireArena(event);
	return answer(async () => {
		const id = z.uuid().safeParse(event.params.id);
		if (!id.success) throwJson(404, { message: 'No such arena battle of yours.' });
		return { reveal: await arena.revealBattle(runtime.db(), me, id.data) };
	});
};
