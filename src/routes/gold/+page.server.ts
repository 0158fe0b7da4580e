import { error } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as lists from '$lib/server/gold/lists';
import { queryDefaults, redirectPastTheEnd } from '$lib/server/listing';
import { ConflictError, NotFoundError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import { requireRole, requireUser } from '$lib/server/auth/guard';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

const defaults = { status: 'approved', dir: 'desc' } as const;
const galleryQuerySchema = lists.goldQuerySchemaFor(defaults);
const pinSchema = z.object({ id: z.uuid('Which example? Reload the page and try again.') });

export const load: PageServerLoad = async (event) => {
	const me = requireUser(event);
	const db = runtime.db();
	// The gallery shows approved examples only, whatever the link says.
	const query = { ...galleryQuerySchema.parse(event.url.searchParams), status: 'approved' as const };
	const { rows, total } = await lists.listGold(db, query);
	redirectPastTheEnd(event.url, { rows: rows.length, total, pageSize: query.pageSize });
	return { query, defaults: queryDefaults(galleryQuerySchema), rows, total, canPin: me.role === 'admin', ...(await lists.goldFacets(db)) };
};

async function setPinned(event: RequestEvent, pinned: boolean) {
	const me = requireRole(event, 'admin');
	const values = formValues(await event.request.formData(), ['id']);
	const parsed = pinSchema.safeParse(values);
	if (!parsed.success) return rejectForm(400, parsed.error, values);
	try {
		await lists.pinExample(runtime.db(), parsed.data.id, pinned, { id: me.id, ip: event.getClientAddress() });
	} catch (e) {
		if (e instanceof NotFoundError) error(404, e.message);
		if (e instanceof ConflictError) return rejectForm(409, { form: e.message }, values);
		throw e;
	}
	return { pinned, id: parsed.data.id };
}

export const actions: Actions = {
	pin: (event) => setPinned(event, true),
	unpin: (event) => setPinned(event, false)
};
