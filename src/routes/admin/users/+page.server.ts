import type { RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import * as directory from '$lib/server/users/directory';
import * as invites from '$lib/server/users/invites';
import { requireRole } from '$lib/server/auth/guard';
import { FieldError, NotFoundError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import { queryDefaults, redirectPastTheEnd } from '$lib/server/listing';
import type { Actions, PageServerLoad } from './$types';

const revokeSchema = z.object({ inviteId: z.guid('That invite link is not valid.') });

function actorOf(event: RequestEvent, me: { id: string }): accounts.Actor {
	return { id: me.id, ip: event.getClientAddress() };
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const query = directory.userQuerySchema.parse(event.url.searchParams);
	const db = runtime.db();
	const { rows, total } = await directory.listUsers(db, query);
	redirectPastTheEnd(event.url, { rows: rows.length, total, pageSize: query.pageSize });
	return { query, defaults: queryDefaults(directory.userQuerySchema), rows, total, invites: await invites.listOpenInvites(db) };
};

export const actions: Actions = {
	create: async (event) => {
		const me = requireRole(event, 'admin');
		const form = await event.request.formData();
		const fields = formValues(form, ['email', 'displayName', 'role', 'password']);
		// `action` tells the page which of its forms an answer belongs to; the password is never echoed.
		const values = { action: 'create', email: fields.email ?? '', displayName: fields.displayName ?? '', role: fields.role ?? '' };
		const parsed = accounts.newUserSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		try {
			const created = await accounts.createUser(runtime.db(), parsed.data, actorOf(event, me));
			return { created: { id: created.id, email: parsed.data.email } };
		} catch (thrown) {
			if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, values);
			throw thrown;
		}
	},

	invite: async (event) => {
		const me = requireRole(event, 'admin');
		const form = await event.request.formData();
		const fields = formValues(form, ['email', 'role']);
		const values = { action: 'invite', email: fields.email ?? '', role: fields.role ?? '' };
		const parsed = invites.newInviteSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		try {
			const created = await invites.createInvite(runtime.db(), parsed.data, actorOf(event, me));
			// The token exists only in this answer: the database keeps its hash.
			return {
				invited: { ...parsed.data, link: `${event.url.origin}/invite/${created.token}`, expiresAt: created.expiresAt }
			};
		} catch (thrown) {
			if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, values);
			throw thrown;
		}
	},

	revokeInvite: async (event) => {
		const me = requireRole(event, 'admin');
		const parsed = revokeSchema.safeParse(formValues(await event.request.formData(), ['inviteId']));
		const values = { action: 'revokeInvite' };
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		try {
			await invites.revokeInvite(runtime.db(), parsed.data.inviteId, actorOf(event, me));
			return { revoked: parsed.data.inviteId };
		} catch (thrown) {
			if (thrown instanceof NotFoundError) return rejectForm(404, { inviteId: thrown.message }, values);
			throw thrown;
		}
	}
};
