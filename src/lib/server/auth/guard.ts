import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import type { Role } from '../db/schema';
import type { SessionUser } from './session';

// Guards throw, so a load or action reads `const me = requireRole(event, 'admin')`
// and nothing below that line runs for anyone else.

function isApi(event: Pick<RequestEvent, 'route' | 'url'>): boolean {
	return (event.route.id ?? event.url.pathname).startsWith('/api/');
}

export function requireUser(event: Pick<RequestEvent, 'locals' | 'route' | 'url'>): SessionUser {
	const user = event.locals.user;
	if (user) return user;
	if (isApi(event)) error(401, 'Sign in first.');
	redirect(303, `/login?redirectTo=${encodeURIComponent(event.url.pathname + event.url.search)}`);
}

export function requireRole(event: Pick<RequestEvent, 'locals' | 'route' | 'url'>, ...roles: Role[]): SessionUser {
	const user = requireUser(event);
	if (!roles.includes(user.role)) error(403, `This needs the ${roles.join(' or ')} role.`);
	return user;
}

/** Arena mode: admins always, anyone else only while an admin trusts them with it (`user.arena_access`). */
export function mayUseArena(user: Pick<SessionUser, 'role' | 'arenaAccess'>): boolean {
	return user.role === 'admin' || user.arenaAccess === true;
}

export const ARENA_REFUSAL = 'Arena mode is for admins and for people an admin has trusted with it: ask an admin.';

export function requireArena(event: Pick<RequestEvent, 'locals' | 'route' | 'url'>): SessionUser {
	const user = requireUser(event);
	if (!mayUseArena(user)) error(403, ARENA_REFUSAL);
	return user;
}
