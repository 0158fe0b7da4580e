import { error, redirect } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as gold from '$lib/server/gold/examples';
import * as editor from '$lib/server/gold/editor';
import { FieldError, NotFoundError } from '$lib/server/errors';
import { requireRole } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

/**
 * `/gold/new?candidate=<id>` (E on the ranking page) or `?prompt=<id>` (write
 * from scratch) opens an example and sends the editor there. The author's
 * open example from the same candidate is reused, so a second E is no copy.
 */
export const load: PageServerLoad = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	const db = runtime.db();
	const candidateId = event.url.searchParams.get('candidate');
	const promptId = event.url.searchParams.get('prompt');
	// Nothing named: back to ranking, where E names the candidate.
	if (!candidateId && !promptId) redirect(303, '/rank');
	let id: string;
	try {
		if (candidateId) {
			const fromCandidate = await editor.promptOfCandidate(db, candidateId);
			if (!fromCandidate) error(404, 'No such reply to edit: it may have been removed.');
			id = (await editor.openExampleFrom(db, me.id, candidateId)) ?? (await gold.startGold(db, { promptId: fromCandidate, sourceCandidateId: candidateId, authorId: me.id })).id;
		} else {
			if (!editor.isUuid(promptId)) error(404, 'No such prompt.');
			id = (await gold.startGold(db, { promptId, authorId: me.id })).id;
		}
	} catch (e) {
		if (e instanceof NotFoundError) error(404, e.message);
		if (e instanceof FieldError) error(400, e.message);
		throw e;
	}
	redirect(303, `/gold/${id}`);
};
