import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as queueAdmin from '$lib/server/queue/admin';
import * as queueChecks from '$lib/server/queue/checks';
import * as goldChecks from '$lib/server/gold/checks';
import { FieldError } from '$lib/server/errors';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const releaseSchema = z.object({ annotatorId: z.uuid('Choose an annotator.') });

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	return {
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		stats: await queueAdmin.queueStats(db, persona.id),
		annotators: await queueAdmin.annotatorProgress(db, persona.id),
		recent: await queueAdmin.recentJudgments(db, persona.id),
		checks: await queueChecks.listChecks(db, persona.id),
		leaseMinutes: runtime.config().leaseMinutes
	};
};

export const actions: Actions = {
	release: async (event) => {
		const me = requireRole(event, 'admin');
		const parsed = releaseSchema.safeParse(formValues(await event.request.formData(), ['annotatorId']));
		if (!parsed.success) return rejectForm(400, parsed.error, {});
		const persona = await personaFromUrl(event.url);
		const released = await queueAdmin.releaseAnnotatorLeases(runtime.db(), parsed.data.annotatorId, persona.id, {
			id: me.id,
			ip: event.getClientAddress()
		});
		return { released };
	},
	reclaim: async (event) => {
		const me = requireRole(event, 'admin');
		return { reclaimed: await queueAdmin.reclaimAllExpired(runtime.db(), { id: me.id, ip: event.getClientAddress() }) };
	},
	/** Approved gold edits from before checks existed (or while the setting was off) become checks. */
	backfillChecks: async (event) => {
		const me = requireRole(event, 'admin');
		const persona = await personaFromUrl(event.url);
		try {
			return { backfilled: await goldChecks.backfillGoldEditChecks(runtime.db(), persona.id, { id: me.id, ip: event.getClientAddress() }) };
		} catch (error) {
			if (error instanceof FieldError) return rejectForm(400, { [error.field]: error.message }, {});
			throw error;
		}
	}
};
