import { error } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as queue from '$lib/server/queue';
import { findPersona, listPersonas } from '$lib/server/personas/find';
import { renderMarkdown } from '$lib/server/markdown';
import { requireRole } from '$lib/server/auth/guard';
import { NotFoundError } from '$lib/server/errors';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	const db = runtime.db();
	const cfg = runtime.config();
	const persona = await findPersona(db, event.url.searchParams.get('persona')).catch((e) => {
		if (e instanceof NotFoundError) error(404, e.message);
		throw e;
	});
	const pairs = await queue.pairsInHand(db, me.id, persona.id, { leaseMinutes: cfg.leaseMinutes });
	const [progress, left] = [await queue.progressOf(db, me.id, persona.id), await queue.queueLeft(db, me.id, persona.id)];
	return {
		me: { id: me.id },
		persona: { slug: persona.slug, name: persona.name, styleGuideHtml: renderMarkdown(persona.styleGuide) },
		personas: await listPersonas(db),
		pairs,
		progress,
		// open pairs not yet handed to this annotator, plus the ones in hand
		queueLeft: { count: left.count + pairs.length, capped: left.capped },
		undoSeconds: cfg.undoSeconds
	};
};
