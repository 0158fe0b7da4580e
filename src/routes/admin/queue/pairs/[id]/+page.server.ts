import { error } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as checks from '$lib/server/queue/checks';
import { pairDetail } from '$lib/server/queue/pair-detail';
import { renderMarkdown } from '$lib/server/markdown';
import { requireRole } from '$lib/server/auth/guard';
import { ConflictError, FieldError, NotFoundError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

const pairIdSchema = z.uuid();

/** A link to a pair that is not a UUID is a stale or mistyped link: 404, like a pair that is gone. */
function pairIdOf(event: { params: { id: string } }): string {
	if (!pairIdSchema.safeParse(event.params.id).success) error(404, 'That pair does not exist.');
	return event.params.id;
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	let pair;
	try {
		pair = await pairDetail(runtime.db(), pairIdOf(event));
	} catch (thrown) {
		if (thrown instanceof NotFoundError) error(404, thrown.message);
		throw thrown;
	}
	const shown = (reply: typeof pair.a) => ({ ...reply, html: renderMarkdown(reply.text) });
	return {
		pair: {
			...pair,
			messages: pair.messages.map((m) => ({ role: m.role, html: renderMarkdown(m.content) })),
			a: shown(pair.a),
			b: shown(pair.b)
		}
	};
};

/** Domain refusals as form answers: a field the admin can fix (400), a pair gone (404), a state that forbids it (409). */
function refusal(thrown: unknown, values: Record<string, string | undefined>) {
	if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, values);
	if (thrown instanceof NotFoundError) return rejectForm(404, { form: thrown.message }, values);
	if (thrown instanceof ConflictError) return rejectForm(409, { form: thrown.message }, values);
	throw thrown;
}

async function actor(event: RequestEvent) {
	const me = requireRole(event, 'admin');
	return { id: me.id, ip: event.getClientAddress() };
}

export const actions: Actions = {
	/** Makes the pair a check with its expected answer, or changes the answer; repeating it changes nothing. */
	mark: async (event) => {
		const who = await actor(event);
		const values = formValues(await event.request.formData(), ['knownAnswer']);
		const parsed = checks.markCheckSchema.safeParse({ ...values, pairId: pairIdOf(event) });
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		try {
			return { marked: (await checks.markCheck(runtime.db(), parsed.data.pairId, parsed.data.knownAnswer, who)).changed, values };
		} catch (thrown) {
			return refusal(thrown, values);
		}
	},
	/** Makes the check a regular pair again; repeating it changes nothing. */
	unmark: async (event) => {
		const who = await actor(event);
		try {
			return { unmarked: (await checks.unmarkCheck(runtime.db(), pairIdOf(event), who)).changed };
		} catch (thrown) {
			return refusal(thrown, {});
		}
	}
};
