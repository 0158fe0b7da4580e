import * as runtime from '$lib/server/runtime';
import * as personas from '$lib/server/personas/overview';
import { renderMarkdown } from '$lib/server/markdown';
import { requireUser } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const me = requireUser(event);
	const overviews = await personas.listPersonaOverviews(runtime.db());
	return {
		me,
		personas: overviews.map((p) => ({ ...p, styleGuideHtml: renderMarkdown(p.styleGuide) }))
	};
};
