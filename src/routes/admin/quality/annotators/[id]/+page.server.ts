import { error } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as directory from '$lib/server/users/directory';
import * as disagreements from '$lib/server/quality/disagreements';
import { annotatorFigures } from '$lib/server/quality/annotator-table';
import { latestSnapshot } from '$lib/server/quality/snapshots';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import { redirectPastTheEnd } from '$lib/server/listing';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const annotator = await directory.getUser(db, event.params.id);
	if (!annotator) error(404, 'No such annotator.');
	const persona = await personaFromUrl(event.url);
	const { page } = disagreements.disagreementQuerySchema.parse(event.url.searchParams);
	const snapshot = await latestSnapshot(db, persona.id);
	const found = await disagreements.listDisagreements(db, persona.id, annotator.id, page);
	redirectPastTheEnd(event.url, { rows: found.rows.length, total: found.total, pageSize: disagreements.DISAGREEMENTS_PER_PAGE });
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		annotator: { id: annotator.id, name: annotator.displayName, email: annotator.email, role: annotator.role },
		snapshot: snapshot && { computedAt: snapshot.computedAt, settings: snapshot.settings },
		figures: snapshot ? await annotatorFigures(db, snapshot.id, annotator.id) : null,
		page,
		pageSize: disagreements.DISAGREEMENTS_PER_PAGE,
		...found
	};
};
