import type { Role } from '../db/schema';

/**
 * Who may reach a path at all, checked in hooks.server.ts before any route
 * runs. Routes guard themselves too (requireRole); this is the default-deny
 * net under them: a path not listed here needs a signed-in user. `arena`:
 * admins, and people an admin trusted with arena mode (guard.ts `mayUseArena`).
 */
export type Access = { kind: 'public' } | { kind: 'user' } | { kind: 'roles'; roles: Role[] } | { kind: 'arena' };

/** `tree` matches the path and everything below it; `exact` only the path. */
const rules: Array<{ path: string; match: 'exact' | 'tree'; access: Access }> = [
	{ path: '/_app', match: 'tree', access: { kind: 'public' } },
	{ path: '/favicon.svg', match: 'exact', access: { kind: 'public' } },
	{ path: '/robots.txt', match: 'exact', access: { kind: 'public' } },
	{ path: '/healthz', match: 'exact', access: { kind: 'public' } },
	{ path: '/login', match: 'exact', access: { kind: 'public' } },
	{ path: '/invite', match: 'tree', access: { kind: 'public' } },
	// Machine callers authenticate with their own token inside the route.
	{ path: '/api/v1/hooks', match: 'tree', access: { kind: 'public' } },
	{ path: '/admin', match: 'tree', access: { kind: 'roles', roles: ['admin'] } },
	{ path: '/review', match: 'tree', access: { kind: 'roles', roles: ['reviewer', 'admin'] } },
	{ path: '/arena', match: 'tree', access: { kind: 'arena' } },
	{ path: '/api/v1/arena', match: 'tree', access: { kind: 'arena' } }
];

export function accessFor(pathname: string): Access {
	const rule = rules.find(
		(r) => pathname === r.path || (r.match === 'tree' && pathname.startsWith(r.path + '/'))
	);
	return rule?.access ?? { kind: 'user' };
}
