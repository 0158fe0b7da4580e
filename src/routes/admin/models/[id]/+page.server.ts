import { metricsView } from '$lib/server/training/run-metrics';
import * as runtime from '$lib/server/runtime';
import * as models from '$lib/server/models/registry';
import * as pages from '$lib/server/training/pages';
import * as rounds from '$lib/server/evaluation/rounds';
import { verdictFor } from '$lib/server/evaluation/results';
import { makeCurrentOnEvidence, promotionSchema } from '$lib/server/evaluation/promotion';
import { againstCurrent, startRound } from '$lib/server/evaluation/round-form';
import { requireRole } from '$lib/server/auth/guard';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const owner = await pages.modelOr404(db, event.params.id);
	const lineage = await pages.lineageOr404(db, event.params.id);
	const training = runtime.config().training;
	// lineageOf reads the whole row: only what the page shows goes to the browser.
	const { id, name, status, baseUrl, model, createdAt } = lineage.model;
	const evaluated = owner.kind === 'endpoint' && status !== 'current';
	return {
		persona: owner.persona,
		model: { id, name, status, baseUrl, model, createdAt, kind: owner.kind },
		ppo: lineage.ppo && pages.runView(lineage.ppo, training),
		rewardModel: lineage.rewardModel && pages.runView(lineage.rewardModel, training),
		// What each run reported about itself (codelynn-metrics.json), or why nothing could be read.
		metrics: { rewardModel: lineage.rewardModel && metricsView(lineage.rewardModel.metrics), ppo: lineage.ppo && metricsView(lineage.ppo.metrics) },
		basePolicy: lineage.basePolicy,
		datasetVersion: lineage.datasetVersion,
		judgments: lineage.judgments,
		rounds: await rounds.roundsOf(db, id),
		verdict: evaluated ? await verdictFor(db, id) : null
	};
};

export const actions: Actions = {
	/**
	 * The same promotion as the Models page's button: this version becomes current, the one before it is
	 * retired. A verdict other than "better" needs a second submit with `confirm` (evaluation/promotion.ts).
	 */
	makeCurrent: async (event) => {
		const me = requireRole(event, 'admin');
		const db = runtime.db();
		await pages.modelOr404(db, event.params.id);
		const fields = formValues(await event.request.formData(), ['confirm']);
		const values = { action: 'makeCurrent' };
		const parsed = promotionSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		try {
			const promoted = await makeCurrentOnEvidence(db, event.params.id, parsed.data.confirm, { id: me.id, ip: event.getClientAddress() });
			return { values, current: true, retired: promoted.retired };
		} catch (thrown) {
			return pages.refusal(thrown, values);
		}
	},

	/** A round of this version against the current model, sized by the persona's evaluation settings. */
	startRound: async (event) => {
		const me = requireRole(event, 'admin');
		const db = runtime.db();
		await pages.modelOr404(db, event.params.id);
		const values = { action: 'startRound' };
		const input = await againstCurrent(db, event.params.id);
		if (!input.success) return rejectForm(400, input.error, values);
		return startRound(db, input.personaId, input.data, { id: me.id, ip: event.getClientAddress() }, values);
	}
};
