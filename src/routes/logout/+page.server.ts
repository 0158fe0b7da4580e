import { redirect } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import { deleteSessionTokenCookie, invalidateSession } from '$lib/server/auth/session';
import type { Actions, PageServerLoad } from './$types';

// Signing out is a POST (a link or a prefetch must not end a session); a GET has no page to show.
export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	default: async (event) => {
		if (event.locals.session) await invalidateSession(runtime.db(), event.locals.session.id);
		deleteSessionTokenCookie(event.cookies, event.url.protocol === 'https:');
		redirect(303, '/login');
	}
};
