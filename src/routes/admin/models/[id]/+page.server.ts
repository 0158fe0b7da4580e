import { metricsView } from '$lib/server/training/run-metrics';
import * as runtime from '$lib/server/runtime';
import * as models from '$lib/server/models/registry';
import * as pages from '$lib/server/training/pages';
import { requireRole } from '$lib/server/auth/guard';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const owner = await pages.modelOr404(db, event.params.id);
	const lineage = await pages.lineageOr404(db, event.params.id);
	const training = runtime.config().training;
	// lineageOf reads the whole row: only what the page shows goes to the browser.
	const { id, name, status, baseUrl, model, createdAt } = lineage.model;
	return {
		persona: owner.persona,
		model: { id, name, status, baseUrl, model, createdAt, kind: owner.kind },
		ppo: lineage.ppo && pages.runView(lineage.ppo, training),
		rewardModel: lineage.rewardModel && pages.runView(lineage.rewardModel, training),
		// What each run reported about itself (codelynn-metrics.json), or why nothing could be read.
		metrics: { rewardModel: lineage.rewardModel && metricsView(lineage.rewardModel.metrics), ppo: lineage.ppo && metricsView(lineage.ppo.metrics) },
		basePolicy: lineage.basePolicy,
		datasetVersion: lineage.datasetVersion,
		judgments: lineage.judgments
	};
};

export const actions: Actions = {
	/** The same promotion as the Models page's button: this version becomes current, the one before it is retired. */
	makeCurrent: async (event) => {
		const me = requireRole(event, 'admin');
		const db = runtime.db();
		await pages.modelOr404(db, event.params.id);
		const values = { action: 'makeCurrent' };
		try {
			return { values, current: true, ...(await models.makeCurrent(db, event.params.id, { id: me.id, ip: event.getClientAddress() })) };
		} catch (thrown) {
			return pages.refusal(thrown, values);
		}
	}
};
