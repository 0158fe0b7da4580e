import { redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { text } from '$lib/server/text';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import * as invites from '$lib/server/users/invites';
import { passwordSchema } from '$lib/server/auth/password';
import { createSession, generateSessionToken, invalidateSession, setSessionTokenCookie } from '$lib/server/auth/session';
import { FieldError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const acceptSchema = z
	.object({
		displayName: accounts.displayNameSchema,
		password: passwordSchema,
		confirmPassword: text({ error: 'Type the password again.' })
	})
	.refine((form) => form.password === form.confirmPassword, { path: ['confirmPassword'], message: 'The two passwords differ.' });

// Public on purpose (see auth/policy.ts): the token in the path is the credential.

export const load: PageServerLoad = async (event) => {
	// The token must not leak to other sites through Referer, nor sit in a shared cache.
	event.setHeaders({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
	const found = await invites.findOpenInvite(runtime.db(), event.params.token);
	if (!found.ok) return { closed: found.message, invite: null, signedInAs: null };
	const { email, role, expiresAt } = found.invite;
	return { closed: null, invite: { email, role, expiresAt }, signedInAs: event.locals.user?.email ?? null };
};

export const actions: Actions = {
	default: async (event) => {
		const fields = formValues(await event.request.formData(), ['displayName', 'password', 'confirmPassword']);
		const values = { displayName: fields.displayName ?? '' };
		const parsed = acceptSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);

		const db = runtime.db();
		const ip = event.getClientAddress();
		let userId: string;
		try {
			({ userId } = await invites.acceptInvite(db, event.params.token, parsed.data, ip));
		} catch (thrown) {
			if (thrown instanceof invites.InviteClosedError) return rejectForm(410, { form: thrown.message }, values);
			// An account made for this email since the invite: nothing on this form can fix that.
			if (thrown instanceof FieldError) return rejectForm(400, { form: thrown.message }, values);
			throw thrown;
		}
		if (event.locals.session) await invalidateSession(db, event.locals.session.id);
		const token = generateSessionToken();
		const session = await createSession(db, token, userId, {
			days: runtime.config().sessionDays,
			ip,
			userAgent: event.request.headers.get('user-agent')
		});
		setSessionTokenCookie(event.cookies, token, session.expiresAt, event.url.protocol === 'https:');
		redirect(303, '/');
	}
};
