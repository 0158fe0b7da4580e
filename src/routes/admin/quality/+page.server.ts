import * as runtime from '$lib/server/runtime';
import * as annotatorTable from '$lib/server/quality/annotator-table';
import { pendingRefresh, qualitySettingsForm } from '$lib/server/quality/settings-form';
import { latestSnapshot } from '$lib/server/quality/snapshots';
import { requestRefresh } from '$lib/server/quality/refresh-request';
import { readQualitySettings, saveQualitySettings } from '$lib/server/quality/settings';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { savePersonaSettings } from '$lib/server/personas/settings-action';
import { requireRole } from '$lib/server/auth/guard';
import { queryDefaults, redirectPastTheEnd } from '$lib/server/listing';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const query = annotatorTable.annotatorQuerySchema.parse(event.url.searchParams);
	const snapshot = await latestSnapshot(db, persona.id);
	const table = snapshot ? await annotatorTable.listAnnotatorFigures(db, snapshot.id, query) : { rows: [], total: 0 };
	redirectPastTheEnd(event.url, { rows: table.rows.length, total: table.total, pageSize: query.pageSize });
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		snapshot,
		flags: snapshot ? await annotatorTable.countFlags(db, snapshot.id) : null,
		query,
		defaults: queryDefaults(annotatorTable.annotatorQuerySchema),
		...table,
		settings: await readQualitySettings(db, persona.id),
		pendingRefresh: await pendingRefresh(db, persona.id)
	};
};

export const actions: Actions = {
	// Joins a refresh already waiting or running, so a double click computes once.
	refresh: async (event) => {
		const me = requireRole(event, 'admin');
		const persona = await personaFromUrl(event.url);
		return { refreshJob: await requestRefresh(runtime.db(), persona.id, me.id) };
	},

	settings: (event) => savePersonaSettings(event, qualitySettingsForm, saveQualitySettings, 'quality.settings')
};
