import { redirect } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as definitions from '$lib/server/datasets/definitions';
import * as pages from '$lib/server/datasets/pages';
import { defaultSpec } from '$lib/server/datasets/spec';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import { FieldError } from '$lib/server/errors';
import { rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const [datasets, personas, choices] = await Promise.all([
		definitions.listDatasets(db, persona.id),
		listPersonas(db),
		pages.specChoices(db, persona.id)
	]);
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas,
		datasets: datasets.map((d) => ({
			id: d.id,
			name: d.name,
			slug: d.slug,
			contents: d.spec.contents,
			latestVersion: d.latestVersion,
			latestStatus: d.latestStatus,
			latestPublishedAt: d.latestPublishedAt,
			versions: d.versions
		})),
		choices,
		fields: pages.datasetFields({ name: '', slug: '', description: '', spec: defaultSpec() })
	};
};

export const actions: Actions = {
	create: async (event) => {
		const me = requireRole(event, 'admin');
		const form = pages.readDatasetForm(await event.request.formData());
		if (!form.input) return rejectForm(400, form.errors, form.fields);
		const persona = await personaFromUrl(event.url);
		let created: { id: string };
		try {
			created = await definitions.createDataset(runtime.db(), persona.id, form.input, { id: me.id, ip: event.getClientAddress() });
		} catch (thrown) {
			if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, form.fields);
			throw thrown;
		}
		redirect(303, `/admin/datasets/${created.id}`);
	}
};
