import { redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { text } from '$lib/server/text';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import { describeWait } from '$lib/server/auth/throttle';
import { createSession, generateSessionToken, setSessionTokenCookie } from '$lib/server/auth/session';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const signInSchema = z.object({
	email: accounts.emailSchema,
	password: text({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(256, 'That password is too long.')
});

/**
 * Only same-site paths, so the login page cannot be used to bounce people elsewhere.
 * Browsers read `\` as `/` and drop tabs and newlines inside a URL, so `/\t/evil.example`
 * means `//evil.example`: any backslash or control character sends the user home instead.
 */
function safeRedirect(target: string | null): string {
	return target && target.startsWith('/') && !target.startsWith('//') && !/[\\\u0000-\u001f\u007f]/.test(target)
		? target
		: '/';
}

export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.user) redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
	return {};
};

export const actions: Actions = {
	default: async (event) => {
		const form = await event.request.formData();
		const values = { email: String(form.get('email') ?? '') };
		const parsed = signInSchema.safeParse(formValues(form, ['email', 'password']));
		if (!parsed.success) return rejectForm(400, parsed.error, values);

		const db = runtime.db();
		const result = await accounts.signIn(db, parsed.data.email, parsed.data.password, event.getClientAddress());
		if (!result.ok) {
			const message =
				result.reason === 'throttled' ? describeWait(result.until) : 'That email and password do not match an active account.';
			return rejectForm(result.reason === 'throttled' ? 429 : 400, { form: message }, values);
		}
		const token = generateSessionToken();
		const session = await createSession(db, token, result.userId, {
			days: runtime.config().sessionDays,
			ip: event.getClientAddress(),
			userAgent: event.request.headers.get('user-agent')
		});
		setSessionTokenCookie(event.cookies, token, session.expiresAt, event.url.protocol === 'https:');
		redirect(303, safeRedirect(event.url.searchParams.get('redirectTo')));
	}
};
