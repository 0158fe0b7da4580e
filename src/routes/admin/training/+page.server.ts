import type { RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as training from '$lib/server/training/admin';
import * as pages from '$lib/server/training/pages';
import * as attention from '$lib/server/training/attention';
import * as rejections from '$lib/server/training/rejections';
import type { Db } from '$lib/server/db';
import type { KfpClient } from '$lib/server/kubeflow/client';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const runSchema = z.object({ id: z.guid('Choose a training run.') });
const chainSchema = z.object({ id: z.guid('Choose a training chain.') });

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	event.depends('app:training');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const settings = runtime.config().training;
	const [runs, deliveries, personas, chains, announcements, rejectionCounts, rejectionSample] = await Promise.all([
		training.listRuns(db, { personaId: persona.id }),
		training.listDeliveries(db),
		listPersonas(db),
		attention.listChainsNeedingAttention(db, persona.id),
		attention.listPendingAnnouncements(db, persona.id),
		rejections.rejectionCounts(db),
		rejections.rejectionSample(db)
	]);
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas,
		kfpConfigured: settings.kfp !== null,
		runs: runs.map((run) => ({ ...pages.runView(run, settings), datasetId: run.datasetId, datasetName: run.datasetName, version: run.version })),
		deliveries: deliveries.map(pages.deliveryView),
		chains,
		announcements,
		rejections: { counts: rejectionCounts, sample: rejectionSample },
		outageMinutes: Math.round(settings.outageMs / 60_000)
	};
};

type RunChange = (db: Db, kfp: KfpClient | null, id: string, actor: training.Actor) => Promise<void>;

/** The run (or chain) a row's button names; `values` tell the page which row the answer belongs to. */
async function onRun(event: RequestEvent, action: string, change: RunChange, schema: typeof runSchema = runSchema) {
	const me = requireRole(event, 'admin');
	const raw = formValues(await event.request.formData(), ['id']);
	const values = { action, id: raw.id ?? '' };
	const parsed = schema.safeParse(raw);
	if (!parsed.success) return rejectForm(400, parsed.error, values);
	try {
		await change(runtime.db(), runtime.kfpClient(), parsed.data.id, { id: me.id, ip: event.getClientAddress() });
	} catch (thrown) {
		return pages.refusal(thrown, values);
	}
	return { values, done: action };
}

export const actions: Actions = {
	terminate: (event) => onRun(event, 'terminate', training.terminateRun),
	retry: (event) => onRun(event, 'retry', training.retryRun),
	resume: (event) => onRun(event, 'resume', (db, _kfp, jobId, actor) => training.resumeChain(db, jobId, actor), chainSchema)
};
