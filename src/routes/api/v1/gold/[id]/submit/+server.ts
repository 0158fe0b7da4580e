import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as gold from '$lib/server/gold/examples';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireGoldReader } from '$lib/server/api/gold-access';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ revision: z.int('revision must be a whole number').min(1, 'revision starts at 1') });

/** Sends `revision` (which must be the latest) to review. */
export const POST: RequestHandler = async (event) =>
	answer(async () => {
		const me = await requireGoldReader(event);
		const body = await parseJson(event, bodySchema);
		await gold.submitForReview(runtime.db(), { goldExampleId: event.params.id, authorId: me.id, revision: body.revision });
		return { status: 'submitted' as const };
	});
