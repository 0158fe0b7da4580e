import { error } from '@sveltejs/kit';
import { z } from 'zod';
import { text } from '$lib/server/text';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import { requireUser } from '$lib/server/auth/guard';
import { passwordSchema } from '$lib/server/auth/password';
import { FieldError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const passwordChangeSchema = z
	.object({
		currentPassword: text({ error: 'Enter your current password.' })
			.min(1, 'Enter your current password.')
			.max(256, 'That password is too long.'),
		newPassword: passwordSchema,
		confirmPassword: text({ error: 'Type the new password again.' }).min(1, 'Type the new password again.')
	})
	.refine((form) => form.confirmPassword === form.newPassword, {
		path: ['confirmPassword'],
		message: 'The two new passwords differ; type the same one twice.'
	})
	.refine((form) => form.newPassword !== form.currentPassword, {
		path: ['newPassword'],
		message: 'Choose a password different from your current one.'
	});

const PASSWORD_FIELDS = ['currentPassword', 'newPassword', 'confirmPassword'] as const;

export const load: PageServerLoad = (event) => {
	const me = requireUser(event);
	return { account: { email: me.email, displayName: me.displayName, role: me.role } };
};

export const actions: Actions = {
	password: async (event) => {
		const me = requireUser(event);
		// requireUser passed, so hooks set the session too; the check keeps the types honest.
		const current = event.locals.session;
		if (!current) error(401, 'Sign in again.');
		const parsed = passwordChangeSchema.safeParse(formValues(await event.request.formData(), PASSWORD_FIELDS));
		// Passwords are never sent back, not even the ones that were fine.
		if (!parsed.success) return rejectForm(400, parsed.error, {});
		try {
			await accounts.changeOwnPassword(
				runtime.db(),
				me.id,
				parsed.data.currentPassword,
				parsed.data.newPassword,
				current.id
			);
		} catch (thrown) {
			if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, {});
			throw thrown;
		}
		event.locals.log.info({ userId: me.id }, 'password changed; other sessions ended');
		return { passwordChanged: true };
	}
};
