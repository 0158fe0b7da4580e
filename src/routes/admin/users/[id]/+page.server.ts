import { error, type RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import { text } from '$lib/server/text';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import * as directory from '$lib/server/users/directory';
import { requireRole } from '$lib/server/auth/guard';
import { passwordSchema } from '$lib/server/auth/password';
import { FieldError, NotFoundError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const roleChangeSchema = z.object({ role: accounts.roleSchema });

// The button says what it asks for (not a checkbox, whose absence could be any broken form), so a resend changes nothing.
const arenaSchema = z.object({ arenaAccess: z.enum(['on', 'off'], { error: 'Say on or off.' }) });

const resetSchema = z
	.object({ password: passwordSchema, confirmPassword: text({ error: 'Type the password again.' }) })
	.refine((form) => form.password === form.confirmPassword, { path: ['confirmPassword'], message: 'The two passwords differ.' });

/** The user the URL names; a malformed or unknown id is a 404 like any stale link. */
function targetId(event: RequestEvent): string {
	const parsed = z.guid().safeParse(event.params.id);
	if (!parsed.success) error(404, 'No such user.');
	return parsed.data;
}

/** Runs one change; rules the domain refuses (your own role, your own account) come back as field messages. */
async function apply<V extends Record<string, unknown>>(values: V, change: () => Promise<void>, done: string) {
	try {
		await change();
		return { done };
	} catch (thrown) {
		if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, values);
		if (thrown instanceof NotFoundError) error(404, thrown.message);
		throw thrown;
	}
}

export const load: PageServerLoad = async (event) => {
	const me = requireRole(event, 'admin');
	const person = await directory.getUser(runtime.db(), targetId(event));
	if (!person) error(404, 'No such user.');
	return { person, isSelf: person.id === me.id };
};

export const actions: Actions = {
	role: async (event) => {
		const me = requireRole(event, 'admin');
		const id = targetId(event);
		const fields = formValues(await event.request.formData(), ['role']);
		const values = { action: 'role', role: fields.role ?? '' };
		const parsed = roleChangeSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		const actor = { id: me.id, ip: event.getClientAddress() };
		return apply(values, () => accounts.setRole(runtime.db(), id, parsed.data.role, actor), `Role changed to ${parsed.data.role}; they were signed out everywhere.`);
	},

	resetPassword: async (event) => {
		const me = requireRole(event, 'admin');
		const id = targetId(event);
		const values = { action: 'resetPassword' };
		// Your own password goes through /account, which asks for the current one and keeps this session.
		if (id === me.id) return rejectForm(400, { password: 'Change your own password on your account page.' }, values);
		const parsed = resetSchema.safeParse(formValues(await event.request.formData(), ['password', 'confirmPassword']));
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		const actor = { id: me.id, ip: event.getClientAddress() };
		return apply(values, () => accounts.resetPassword(runtime.db(), id, parsed.data.password, actor), 'Password reset; they were signed out everywhere. Tell them the new password in person or over a trusted channel.');
	},

	disable: async (event) => {
		const me = requireRole(event, 'admin');
		const id = targetId(event);
		const actor = { id: me.id, ip: event.getClientAddress() };
		return apply({ action: 'disable' }, () => accounts.setDisabled(runtime.db(), id, true, actor), 'Account disabled and signed out everywhere.');
	},

	arena: async (event) => {
		const me = requireRole(event, 'admin');
		const id = targetId(event);
		const fields = formValues(await event.request.formData(), ['arenaAccess']);
		const values = { action: 'arena', arenaAccess: fields.arenaAccess ?? '' };
		const parsed = arenaSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		const allowed = parsed.data.arenaAccess === 'on';
		const actor = { id: me.id, ip: event.getClientAddress() };
		return apply(values, () => accounts.setArenaAccess(runtime.db(), id, allowed, actor), allowed ? 'They can now use arena mode.' : 'Arena mode is closed to them now.');
	},

	enable: async (event) => {
		const me = requireRole(event, 'admin');
		const id = targetId(event);
		const actor = { id: me.id, ip: event.getClientAddress() };
		return apply({ action: 'enable' }, () => accounts.setDisabled(runtime.db(), id, false, actor), 'Account enabled; they can sign in again.');
	}
};
