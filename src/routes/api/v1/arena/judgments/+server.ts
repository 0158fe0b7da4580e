import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as queue from '$lib/server/queue';
import * as arena from '$lib/server/evaluation/arena';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireArena } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ judgment: queue.judgmentInputSchema });

/** The vote on one of your battles, recorded as a ranking judgment (a retry with the same clientId counts once), and the reveal. */
export const POST: RequestHandler = async (event) => {
	const me = requireArena(event);
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		const { result, reveal } = await arena.voteInBattle(runtime.db(), me, body.judgment);
		return { status: result.status, judgmentId: result.judgmentId, reveal };
	});
};
