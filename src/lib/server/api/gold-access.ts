import type { RequestEvent } from '@sveltejs/kit';
import * as runtime from '../runtime';
import * as editor from '../gold/editor';
import { throwJson } from './respond';
import { requireRole } from '../auth/guard';
import type { SessionUser } from '../auth/session';

/**
 * The guard every /api/v1/gold/[id] handler starts with: signed in, and the
 * example exists and is the caller's to read — before the body is looked at,
 * so an unknown id is a 404 whatever was sent.
 */
export async function requireGoldReader(event: Pick<RequestEvent, 'locals' | 'route' | 'url' | 'params'>): Promise<SessionUser> {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	const access = await editor.accessTo(runtime.db(), event.params.id ?? '', me);
	if (access === 'missing') throwJson(404, { message: 'No such gold example.' });
	if (access === 'forbidden') throwJson(403, { message: 'Only its author, a reviewer or an admin opens this gold example.' });
	return me;
}
