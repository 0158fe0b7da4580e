import { redirect } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import { deleteSessionTokenCookie, invalidateSession } from '$lib/server/auth/session';
import type { Actions } from './$types';

export const actions: Actions = {
	default: async (event) => {
		if (event.locals.session) await invalidateSession(runtime.db(), event.locals.session.id);
		deleteSessionTokenCookie(event.cookies, event.url.protocol === 'https:');
		redirect(303, '/login');
	}
};
