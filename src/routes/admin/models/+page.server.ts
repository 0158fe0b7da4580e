import { type RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as models from '$lib/server/models/registry';
import { verdictFor } from '$lib/server/evaluation/results';
import { makeCurrentOnEvidence, promotionSchema } from '$lib/server/evaluation/promotion';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import { FieldError, NotFoundError } from '$lib/server/errors';
import { formErrors, formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const targetSchema = z.object({ id: z.guid('Choose a model version.') });

function actorOf(event: RequestEvent, me: { id: string }): models.Actor {
	return { id: me.id, ip: event.getClientAddress() };
}

/**
 * What was typed, to refill the form after a refusal, minus anything that may be a
 * key pasted in the wrong place: user-info in the URL, a "variable name" that is not one.
 */
function echo(action: string, fields: Record<string, string | undefined>): Record<string, string> {
	const values: Record<string, string> = { action };
	for (const [name, value] of Object.entries(fields)) values[name] = value ?? '';
	if (values.baseUrl) values.baseUrl = models.withoutUserInfo(values.baseUrl);
	if (values.apiKeyEnv && !models.API_KEY_ENV.test(values.apiKeyEnv.trim())) values.apiKeyEnv = '';
	return values;
}

/** The version an action names; `values` tells the page which row (and which of its forms) the answer belongs to. */
async function target(event: RequestEvent, action: string, fields: readonly string[] = []) {
	const form = await event.request.formData();
	const raw = formValues(form, ['id', ...fields]);
	const values = echo(action, raw);
	const parsed = targetSchema.safeParse(raw);
	return { raw, values, id: parsed.success ? parsed.data.id : null, failure: parsed.success ? null : parsed.error };
}

/** Runs one change; rules the registry refuses come back as field messages, nothing written. */
async function apply<V extends Record<string, unknown>, T>(values: V, change: () => Promise<T>) {
	try {
		return { values, done: await change() };
	} catch (thrown) {
		if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, values);
		if (thrown instanceof NotFoundError) return rejectForm(404, { id: thrown.message }, values);
		throw thrown;
	}
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const versions = await models.listModels(db, persona.id);
	// The verdict beside each "Make current": only versions served by an endpoint take part in rounds.
	const verdicts: Record<string, Awaited<ReturnType<typeof verdictFor>>['outcome']> = {};
	for (const m of versions) if (m.kind === 'endpoint' && m.status !== 'current') verdicts[m.id] = (await verdictFor(db, m.id)).outcome;
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		models: versions,
		verdicts
	};
};

export const actions: Actions = {
	create: async (event) => {
		const me = requireRole(event, 'admin');
		const fields = formValues(await event.request.formData(), models.modelInputFields);
		const values = echo('create', fields);
		const parsed = models.modelInputSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		const persona = await personaFromUrl(event.url);
		return apply(values, async () => ({ created: (await models.createModel(runtime.db(), persona.id, parsed.data, actorOf(event, me))).id }));
	},

	update: async (event) => {
		const me = requireRole(event, 'admin');
		const { raw, values, id, failure } = await target(event, 'update', models.modelInputFields);
		const parsed = models.modelInputSchema.safeParse(raw);
		if (!id || !parsed.success) {
			return rejectForm(400, { ...(parsed.success ? {} : formErrors(parsed.error)), ...(failure ? formErrors(failure) : {}) }, values);
		}
		return apply(values, async () => {
			await models.updateModel(runtime.db(), id, parsed.data, actorOf(event, me));
			return { updated: id };
		});
	},

	test: async (event) => {
		requireRole(event, 'admin');
		const { values, id, failure } = await target(event, 'test');
		if (!id) return rejectForm(400, failure!, values);
		return apply(values, async () => ({ tested: { id, ...(await models.testConnection(runtime.db(), id)) } }));
	},

	// A verdict other than "better" needs a second submit with `confirm` (evaluation/promotion.ts).
	makeCurrent: async (event) => {
		const me = requireRole(event, 'admin');
		const { raw, values, id, failure } = await target(event, 'makeCurrent', ['confirm']);
		if (!id) return rejectForm(400, failure!, values);
		const confirm = promotionSchema.safeParse(raw);
		if (!confirm.success) return rejectForm(400, confirm.error, values);
		return apply(values, async () => {
			const { retired } = await makeCurrentOnEvidence(runtime.db(), id, confirm.data.confirm, actorOf(event, me));
			return { current: id, retired };
		});
	},

	retire: async (event) => {
		const me = requireRole(event, 'admin');
		const { values, id, failure } = await target(event, 'retire');
		if (!id) return rejectForm(400, failure!, values);
		return apply(values, async () => {
			await models.retire(runtime.db(), id, actorOf(event, me));
			return { retired: id };
		});
	}
};
