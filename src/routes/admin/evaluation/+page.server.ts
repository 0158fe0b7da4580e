import * as runtime from '$lib/server/runtime';
import * as models from '$lib/server/models/registry';
import * as rounds from '$lib/server/evaluation/rounds';
import { leaderboard } from '$lib/server/evaluation/results';
import { readEvaluationSettings, saveEvaluationSettings } from '$lib/server/evaluation/settings';
import { evaluationSettingsForm } from '$lib/server/evaluation/settings-form';
import { comparableModels, roundFormDefaults, roundFormErrors, roundFormSchema, roundFromForm, startRound } from '$lib/server/evaluation/round-form';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { savePersonaSettings } from '$lib/server/personas/settings-action';
import { requireRole } from '$lib/server/auth/guard';
import { rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const versions = await models.listModels(db, persona.id);
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		leaderboard: await leaderboard(db, persona.id),
		rounds: await rounds.listRounds(db, persona.id),
		models: comparableModels(versions),
		roundDefaults: await roundFormDefaults(db, persona.id, versions),
		// A doubled or retried "Start round" starts one round (rounds.ts).
		roundRequestId: crypto.randomUUID(),
		settings: await readEvaluationSettings(db, persona.id)
	};
};

export const actions: Actions = {
	start: async (event) => {
		const me = requireRole(event, 'admin');
		const { input, typed } = roundFromForm(await event.request.formData());
		const values = { action: 'start', ...typed };
		const parsed = roundFormSchema.safeParse(input);
		if (!parsed.success) return rejectForm(400, roundFormErrors(parsed.error), values);
		const persona = await personaFromUrl(event.url);
		return startRound(runtime.db(), persona.id, parsed.data, { id: me.id, ip: event.getClientAddress() }, values);
	},

	settings: (event) => savePersonaSettings(event, evaluationSettingsForm, saveEvaluationSettings, 'evaluation.settings')
};
