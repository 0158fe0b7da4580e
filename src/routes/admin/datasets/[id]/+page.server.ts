import { redirect, type RequestEvent } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as definitions from '$lib/server/datasets/definitions';
import * as pages from '$lib/server/datasets/pages';
import * as versions from '$lib/server/datasets/versions';
import { previewVersion } from '$lib/server/datasets/preview';
import { FieldError } from '$lib/server/errors';
import { requireRole } from '$lib/server/auth/guard';
import { rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

function actorOf(event: RequestEvent, me: { id: string }): definitions.Actor {
	return { id: me.id, ip: event.getClientAddress() };
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const dataset = await pages.datasetOr404(db, event.params.id);
	const [list, choices] = await Promise.all([versions.listVersions(db, dataset.id), pages.specChoices(db, dataset.personaId)]);
	return {
		dataset: { id: dataset.id, name: dataset.name, slug: dataset.slug, description: dataset.description, personaSlug: dataset.personaSlug },
		fields: pages.datasetFields(dataset),
		choices,
		versions: list.map((v) => ({ ...v, progress: pages.progressOf(v.progress) })),
		// Streamed: the page shows at once and the counts follow (they read the judgments in scope).
		preview: previewVersion(db, dataset, { undoSeconds: runtime.config().undoSeconds })
	};
};

export const actions: Actions = {
	update: async (event) => {
		const me = requireRole(event, 'admin');
		const dataset = await pages.datasetOr404(runtime.db(), event.params.id);
		const form = pages.readDatasetForm(await event.request.formData(), dataset.slug);
		if (!form.input) return rejectForm(400, form.errors, form.fields);
		await definitions.updateDataset(runtime.db(), dataset.id, form.input, actorOf(event, me));
		return { saved: true };
	},

	publish: async (event) => {
		const me = requireRole(event, 'admin');
		const dataset = await pages.datasetOr404(runtime.db(), event.params.id);
		let created: { version: number };
		try {
			created = await versions.createVersion(runtime.db(), dataset.id, actorOf(event, me), { undoSeconds: runtime.config().undoSeconds });
		} catch (thrown) {
			// Quality filters on and no quality snapshot yet: say so on the publish form rather than keep everyone silently.
			if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, pages.datasetFields(dataset));
			throw thrown;
		}
		redirect(303, `/admin/datasets/${dataset.id}/v/${created.version}`);
	}
};
