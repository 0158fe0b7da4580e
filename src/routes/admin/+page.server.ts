import * as runtime from '$lib/server/runtime';
import * as directory from '$lib/server/users/directory';
import * as invites from '$lib/server/users/invites';
import * as models from '$lib/server/models/registry';
import * as workspace from '$lib/server/personas/workspace';
import * as queueAttention from '$lib/server/queue/attention';
import * as gold from '$lib/server/gold/lists';
import * as datasets from '$lib/server/datasets/latest';
import * as training from '$lib/server/training/attention';
import * as quality from '$lib/server/quality/dashboard';
import { findPersona, listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import type { DbOrTx } from '$lib/server/db';
import type { PageServerLoad } from './$types';

/** What one persona needs from an admin today: the dashboard's charts and its attention list. */
async function personaDashboard(db: DbOrTx, personaId: string) {
	const [qualityFigures, withoutVotes, latestVersion, stoppedChains] = await Promise.all([
		quality.readQualityDashboard(db, personaId),
		queueAttention.countPairsWithoutVotes(db, personaId),
		datasets.latestVersion(db, personaId),
		training.listChainsNeedingAttention(db, personaId, 10)
	]);
	return { quality: qualityFigures, withoutVotes, latestVersion, stoppedChains: stoppedChains.length };
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	// A fresh workspace has no persona yet: the home still shows, without the persona's part.
	const persona = event.url.searchParams.has('persona')
		? await personaFromUrl(event.url)
		: await findPersona(db).catch(() => null);
	const [users, openInvites, content, modelList, personas, reviewsWaiting] = await Promise.all([
		directory.countUsers(db),
		invites.listOpenInvites(db),
		workspace.countWorkspace(db),
		models.listAllModels(db),
		listPersonas(db),
		gold.countReviewsWaiting(db)
	]);
	return {
		users,
		openInvites: openInvites.length,
		content,
		models: modelList,
		personas,
		reviewsWaiting,
		persona: persona && { slug: persona.slug, name: persona.name, ...(await personaDashboard(db, persona.id)) }
	};
};
