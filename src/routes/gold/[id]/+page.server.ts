import { error } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as editor from '$lib/server/gold/editor';
import { renderMarkdown } from '$lib/server/markdown';
import { requireRole } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

/** The editor: its author edits; reviewers and admins read it. */
export const load: PageServerLoad = async (event) => {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	const db = runtime.db();
	const access = await editor.accessTo(db, event.params.id, me);
	if (access === 'missing') error(404, 'No such gold example.');
	if (access === 'forbidden') error(403, 'Only its author, a reviewer or an admin opens this gold example.');
	const example = await editor.viewGold(db, event.params.id, me);
	if (!example) error(404, 'No such gold example.');
	// The preview of the saved text comes with the page; the editor re-renders it as the author types.
	return { me: { id: me.id }, example, previewHtml: renderMarkdown(example.latest.text) };
};
