import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as gold from '$lib/server/gold/examples';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	promptId: z.uuid('promptId must be a UUID'),
	sourceCandidateId: z.uuid('sourceCandidateId must be a UUID').nullish()
});

/** Opens a gold example (revision 1), prefilled with the candidate's text when one is named. */
export const POST: RequestHandler = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		return gold.startGold(runtime.db(), { promptId: body.promptId, sourceCandidateId: body.sourceCandidateId, authorId: me.id });
	});
};
