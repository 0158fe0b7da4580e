import * as runtime from '$lib/server/runtime';
import * as personas from '$lib/server/personas/overview';
import { myFigures } from '$lib/server/quality/my-figures';
import { renderMarkdown } from '$lib/server/markdown';
import { requireUser } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const me = requireUser(event);
	const db = runtime.db();
	const [overviews, mine] = await Promise.all([personas.listPersonaOverviews(db), myFigures(db, me.id)]);
	return {
		me,
		personas: overviews.map((p) => ({ ...p, styleGuideHtml: renderMarkdown(p.styleGuide), myQuality: mine.get(p.id) ?? null }))
	};
};
