import * as runtime from '$lib/server/runtime';
import * as queue from '$lib/server/queue';
import * as goldLists from '$lib/server/gold/lists';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { renderMarkdown } from '$lib/server/markdown';
import { requireRole } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	const db = runtime.db();
	const cfg = runtime.config();
	const persona = await personaFromUrl(event.url);
	const pairs = await queue.pairsInHand(db, me.id, persona.id, { leaseMinutes: cfg.leaseMinutes, checkEvery: persona.checkEvery });
	const [progress, left] = [await queue.progressOf(db, me.id, persona.id), await queue.queueLeft(db, me.id, persona.id)];
	return {
		me: { id: me.id },
		persona: { slug: persona.slug, name: persona.name, styleGuideHtml: renderMarkdown(persona.styleGuide) },
		personas: await listPersonas(db),
		pairs,
		// approved examples an admin pinned: the persona's voice at its best, next to the style guide
		pinned: (await goldLists.pinnedExamples(db, persona.id)).map((example) => ({
			id: example.id,
			promptHtml: renderMarkdown(example.messages.at(-1)?.content ?? ''),
			html: renderMarkdown(example.text)
		})),
		progress,
		// open pairs not yet handed to this annotator, plus the ones in hand
		queueLeft: { count: left.count + pairs.length, capped: left.capped },
		undoSeconds: cfg.undoSeconds
	};
};
