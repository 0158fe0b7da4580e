import { z } from 'zod';
import { text } from '$lib/server/text';
import { renderMarkdown } from '$lib/server/markdown';
import { answer, parseJson } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	text: text({ error: 'Send the text to render.' }).max(20_000, 'Keep the text under 20,000 characters.')
});

/** The gold editor's live preview: the same renderer (raw HTML escaped) that shows replies everywhere else. */
export const POST: RequestHandler = async (event) => {
	requireRole(event, 'annotator', 'reviewer', 'admin');
	return answer(async () => {
		const body = await parseJson(event, bodySchema);
		return { html: renderMarkdown(body.text, { cache: false }) };
	});
};
