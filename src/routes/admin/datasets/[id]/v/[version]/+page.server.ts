import { redirect } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as pages from '$lib/server/datasets/pages';
import * as versions from '$lib/server/datasets/versions';
import * as training from '$lib/server/training/admin';
import * as trainingPages from '$lib/server/training/pages';
import { diffVersions } from '$lib/server/datasets/diff';
import { requireRole } from '$lib/server/auth/guard';
import { FieldError } from '$lib/server/errors';
import { rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	event.depends('app:training');
	const db = runtime.db();
	const dataset = await pages.datasetOr404(db, event.params.id);
	const version = await pages.versionOr404(db, dataset.id, event.params.version);
	const [all, state, choices, runs] = await Promise.all([
		versions.listVersions(db, dataset.id),
		pages.versionState(db, version.id),
		pages.specChoices(db, dataset.personaId),
		training.listRuns(db, { personaId: dataset.personaId, datasetVersionId: version.id })
	]);
	const manifest = pages.manifestOf(version);
	const parent = all.find((v) => v.id === version.parentVersionId);
	// The diff goes against the parent unless the page asks for another version (?against=N).
	const asked = event.url.searchParams.get('against');
	const against = asked ? await pages.versionOr404(db, dataset.id, asked) : parent;
	return {
		dataset: { id: dataset.id, name: dataset.name, slug: dataset.slug, personaSlug: dataset.personaSlug },
		version: { ...state, spec: version.spec, createdAt: version.createdAt, publishedAt: version.publishedAt },
		parentVersion: parent?.version ?? null,
		others: all.filter((v) => v.id !== version.id).map((v) => ({ version: v.version, status: v.status })),
		choices,
		runs: runs.map((run) => trainingPages.runView(run, runtime.config().training)),
		published: manifest && {
			counts: manifest.counts,
			quality: manifest.quality ?? null,
			location: runtime.objectStore().locationOf(version.objectPrefix),
			files: manifest.files.map((file) => ({ ...file, size: pages.humanBytes(file.bytes) }))
		},
		diff: manifest && against ? { against: against.version, changes: await diffVersions(db, against.id, version.id) } : null
	};
};

export const actions: Actions = {
	retry: async (event) => {
		const me = requireRole(event, 'admin');
		const db = runtime.db();
		const dataset = await pages.datasetOr404(db, event.params.id);
		const version = await pages.versionOr404(db, dataset.id, event.params.version);
		try {
			await versions.retryVersion(db, version.id, { id: me.id, ip: event.getClientAddress() });
		} catch (thrown) {
			if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, { action: 'retry' });
			throw thrown;
		}
		redirect(303, `/admin/datasets/${dataset.id}/v/${version.version}`);
	},

	/** Another training chain on this version's files; the first one started by itself when the manifest landed. */
	train: async (event) => {
		const me = requireRole(event, 'admin');
		const db = runtime.db();
		const dataset = await pages.datasetOr404(db, event.params.id);
		const version = await pages.versionOr404(db, dataset.id, event.params.version);
		const values = { action: 'train' };
		try {
			return { values, queued: (await training.rerunChain(db, version.id, { id: me.id, ip: event.getClientAddress() })).chain };
		} catch (thrown) {
			return trainingPages.refusal(thrown, values);
		}
	}
};
