import { json } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as gold from '$lib/server/gold/examples';
import * as editor from '$lib/server/gold/editor';
import { answer, parseJson, throwJson } from '$lib/server/api/respond';
import { requireGoldReader } from '$lib/server/api/gold-access';
import type { RequestHandler } from './$types';

const saveSchema = z.object({
	baseRevision: z.int('baseRevision must be a whole number').min(1, 'baseRevision starts at 1'),
	text: gold.goldTextSchema
});

/** The example as its editor shows it: prompt, original reply, latest revision, status, latest review. */
export const GET: RequestHandler = async (event) =>
	answer(async () => {
		const me = await requireGoldReader(event);
		return (await editor.viewGold(runtime.db(), event.params.id, me)) ?? throwJson(404, { message: 'No such gold example.' });
	});

/** Saves the next revision after `baseRevision`; a stale base answers 409 with both texts (`conflict`). */
export const PUT: RequestHandler = async (event) =>
	answer(async () => {
		const me = await requireGoldReader(event);
		const body = await parseJson(event, saveSchema);
		try {
			return await gold.saveRevision(runtime.db(), { goldExampleId: event.params.id, authorId: me.id, baseRevision: body.baseRevision, text: body.text });
		} catch (e) {
			// answer() maps any ConflictError to a bare 409; this one carries both texts for the side-by-side view.
			if (e instanceof gold.GoldConflictError) return json({ message: e.message, conflict: e.conflict }, { status: 409 });
			throw e;
		}
	});
