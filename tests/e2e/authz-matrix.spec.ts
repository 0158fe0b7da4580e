import { isDeepStrictEqual } from 'node:util';
import { expect, test, type APIRequestContext } from '@playwright/test';
import {
	demo,
	findUser,
	isSignedIn,
	newClient,
	openInvites,
	signIn,
	submitAction,
	submitOrFail,
	type Playwright
} from './support/app';
import { classify, classifyAction } from './support/outcomes';
import { describeSurface, readRouteTree, type Surface } from './support/route-tree';

/*
 * The authorization matrix: every page, form action and endpoint under
 * src/routes, tried by every kind of caller against the running production
 * build. A route without a rule here fails the first test, so nothing new
 * ships without someone deciding who may call it. What counts as ok, login
 * and forbidden: support/outcomes.ts.
 */

type Caller = 'anonymous' | 'annotator' | 'reviewer' | 'admin';
type Outcome = 'ok' | 'login' | 'forbidden' | 'missing';
type Expectation = Record<Caller, Outcome>;

const callers: Caller[] = ['anonymous', 'annotator', 'reviewer', 'admin'];

const everyone: Expectation = { anonymous: 'ok', annotator: 'ok', reviewer: 'ok', admin: 'ok' };
const signedIn: Expectation = { anonymous: 'login', annotator: 'ok', reviewer: 'ok', admin: 'ok' };
const adminOnly: Expectation = { anonymous: 'login', annotator: 'forbidden', reviewer: 'forbidden', admin: 'ok' };
/** Admin-only, tried on a thing that does not exist: the admin gets past the guard to a 404. */
const adminOnlyMissing: Expectation = { anonymous: 'login', annotator: 'forbidden', reviewer: 'forbidden', admin: 'missing' };
const reviewers: Expectation = { anonymous: 'login', annotator: 'forbidden', reviewer: 'ok', admin: 'ok' };
/** Reviewers and admins, tried on a gold example that does not exist: they get past the guard to a 404. */
const reviewersMissing: Expectation = { anonymous: 'login', annotator: 'forbidden', reviewer: 'missing', admin: 'missing' };
const NO_SUCH_JOB = '00000000-0000-4000-8000-000000000000';
const NO_SUCH_GOLD = '00000000-0000-4000-8000-00000000901d';
/** A pair id that names nothing. */
const NO_SUCH_PAIR = '00000000-0000-4000-8000-00000000fa17';
/** A model version id that names nothing. */
const NO_SUCH_MODEL = '00000000-0000-4000-8000-0000000de1a0';
/** An evaluation round id that names nothing. */
const NO_SUCH_ROUND = '00000000-0000-4000-8000-00000000e7a1';
/** Machines with the shared bearer token only: a session is no credential there, so every caller is refused (401). */
const tokenOnly: Expectation = { anonymous: 'login', annotator: 'login', reviewer: 'login', admin: 'login' };
/** Any signed-in role, tried on a thing that does not exist: past the guard to a 404. */
const signedInMissing: Expectation = { anonymous: 'login', annotator: 'missing', reviewer: 'missing', admin: 'missing' };

/** What the rules act on: one signed-in client per caller, and things made for the matrix alone. */
type World = {
	clients: Record<Caller, APIRequestContext>;
	/** A user the /admin/users/[id] actions are tried on, never a demo account. */
	target: { id: string; email: string; password: string; session: APIRequestContext };
	inviteToRevoke: string;
	/** A session nobody else uses, for actions that end the session they are called with. */
	fresh(caller: Caller): Promise<APIRequestContext>;
	signInTarget(): Promise<void>;
};

type ActionRule = {
	expect: Expectation;
	/** A valid submission, so a guard that wrongly let it through would show in `witness`. Omitted: an empty form. */
	form?: (world: World) => Record<string, string>;
	/** Reads what the action changes: it must stay the same after a refused call and change after an allowed one. */
	witness?: (world: World, client: APIRequestContext) => Promise<unknown>;
	/** Puts the world in a state where the action would have an effect, once before the callers try it. */
	prepare?: (world: World) => Promise<void>;
	/** Each caller uses a session made for this one call (the action ends the session it is called with). */
	freshSession?: boolean;
};

type RouteRule = {
	/** A concrete path; [params] come from the world. */
	path: (world: World) => string;
	page?: Expectation;
	actions?: Record<string, ActionRule>;
	endpoints?: Record<string, Expectation>;
};

const CREATED = 'matrix-created@example.test';
const INVITED = 'matrix-invited@example.test';
const REVOKED = 'matrix-revoked@example.test';
const MATRIX_PASSWORD = 'matrix-password-1';

async function targetState(world: World): Promise<unknown> {
	const row = await findUser(world.clients.admin, world.target.email);
	return { role: row?.role, status: row?.status, signedIn: await isSignedIn(world.target.session) };
}

/** Whether the matrix's target user may use arena mode, as their admin page shows it. */
async function targetArena(world: World): Promise<boolean> {
	const html = await (await world.clients.admin.get(`/admin/users/${world.target.id}`)).text();
	return html.includes('data-testid="arena-badge"');
}

async function inviteEmails(world: World): Promise<string[]> {
	return (await openInvites(world.clients.admin)).map((invite) => invite.email);
}

const rules: Record<string, RouteRule> = {
	'/': { path: () => '/', page: signedIn },
	'/healthz': { path: () => '/healthz', endpoints: { GET: everyone } },
	'/login': {
		path: () => '/login',
		// Signed-in callers are sent on to the home page.
		page: everyone,
		actions: { default: { expect: everyone } }
	},
	'/logout': {
		path: () => '/logout',
		// A GET only redirects home: signing out is a POST.
		page: signedIn,
		actions: {
			default: { expect: signedIn, freshSession: true, witness: (_world, client) => isSignedIn(client) }
		}
	},
	'/account': {
		path: () => '/account',
		page: signedIn,
		// An empty form only: a valid one would change a demo password.
		actions: { password: { expect: signedIn } }
	},
	'/admin': { path: () => '/admin', page: adminOnly },
	'/admin/quality': {
		path: () => '/admin/quality',
		page: adminOnly,
		// An empty settings form is the defaults, saved again (idempotent); a refresh joins any pending one.
		actions: { refresh: { expect: adminOnly }, settings: { expect: adminOnly } }
	},
	'/admin/quality/annotators/[id]': { path: () => `/admin/quality/annotators/${NO_SUCH_JOB}`, page: adminOnlyMissing },
	'/admin/users': {
		path: () => '/admin/users',
		page: adminOnly,
		actions: {
			create: {
				expect: adminOnly,
				form: () => ({ email: CREATED, displayName: 'Matrix Created', role: 'annotator', password: MATRIX_PASSWORD }),
				witness: async (world) => (await findUser(world.clients.admin, CREATED))?.id ?? null
			},
			invite: {
				expect: adminOnly,
				form: () => ({ email: INVITED, role: 'reviewer' }),
				witness: inviteEmails
			},
			revokeInvite: {
				expect: adminOnly,
				form: (world) => ({ inviteId: world.inviteToRevoke }),
				witness: inviteEmails
			}
		}
	},
	'/admin/users/[id]': {
		path: (world) => `/admin/users/${world.target.id}`,
		page: adminOnly,
		actions: {
			role: {
				expect: adminOnly,
				prepare: (world) => world.signInTarget(),
				form: () => ({ role: 'reviewer' }),
				witness: targetState
			},
			resetPassword: {
				expect: adminOnly,
				prepare: (world) => world.signInTarget(),
				// The same password again: the effect to see is that their sessions end. Both names of the
				// confirmation field, as the page and the action currently disagree on it.
				form: (world) => ({ password: world.target.password, confirm: world.target.password, confirmPassword: world.target.password }),
				witness: targetState
			},
			disable: { expect: adminOnly, prepare: (world) => world.signInTarget(), witness: targetState },
			enable: {
				expect: adminOnly,
				prepare: async (world) => void (await submitOrFail(world.clients.admin, `/admin/users/${world.target.id}`, 'disable', {})),
				witness: targetState
			},
			arena: { expect: adminOnly, form: () => ({ arenaAccess: 'on' }), witness: targetArena }
		}
	},
	'/admin/queue': {
		path: () => '/admin/queue',
		page: adminOnly,
		// An empty release form fails validation; reclaim only returns expired leases to the queue; the backfill makes the
		// checks of approved gold edits that have none yet, once (the demo starts with none approved).
		actions: { release: { expect: adminOnly }, reclaim: { expect: adminOnly }, backfillChecks: { expect: adminOnly } }
	},
	// A pair id that names nothing: only the admin gets past the guard, to the 404 page; the actions answer it with their
	// own refusal (an empty mark form fails validation, unmark finds no pair), so nothing is marked.
	'/admin/queue/pairs/[id]': {
		path: () => `/admin/queue/pairs/${NO_SUCH_PAIR}`,
		page: adminOnlyMissing,
		actions: { mark: { expect: adminOnly }, unmark: { expect: adminOnly } }
	},
	'/admin/prompts': {
		path: () => '/admin/prompts',
		page: adminOnly,
		// Empty forms only: with no file the allowed call stops at "Choose a file" (400), and nothing is imported.
		actions: { prompts: { expect: adminOnly }, candidates: { expect: adminOnly } }
	},
	'/admin/models': {
		path: () => '/admin/models',
		page: adminOnly,
		// Empty forms only: each action stops at validation (no name / no version id), so the demo pool stays as it is
		// and no request goes out to a model server.
		actions: {
			create: { expect: adminOnly },
			update: { expect: adminOnly },
			test: { expect: adminOnly },
			makeCurrent: { expect: adminOnly },
			retire: { expect: adminOnly }
		}
	},
	// A model version id that names nothing: only the admin gets past the guard, to the 404, and nothing is promoted.
	'/admin/models/[id]': {
		path: () => `/admin/models/${NO_SUCH_MODEL}`,
		page: adminOnlyMissing,
		actions: { makeCurrent: { expect: adminOnlyMissing }, startRound: { expect: adminOnlyMissing } }
	},
	'/admin/evaluation': {
		path: () => '/admin/evaluation',
		page: adminOnly,
		// Empty forms stop at validation (no models ticked; number fields missing): no round starts, no setting changes.
		actions: { start: { expect: adminOnly }, settings: { expect: adminOnly } }
	},
	// A round id that names nothing: only the admin gets past the guard, to the 404, and nothing is closed.
	'/admin/evaluation/rounds/[id]': { path: () => `/admin/evaluation/rounds/${NO_SUCH_ROUND}`, page: adminOnlyMissing, actions: { close: { expect: adminOnlyMissing } } },
	'/admin/loop': { path: () => '/admin/loop', page: adminOnly },
	'/admin/training': {
		path: () => '/admin/training',
		page: adminOnly,
		// Empty forms stop at validation ("Choose a training run / chain."): nothing is asked of Kubeflow, no run changes.
		actions: { terminate: { expect: adminOnly }, retry: { expect: adminOnly }, resume: { expect: adminOnly } }
	},
	// The storage webhook: MinIO posts here with the bearer token; without it every caller is refused whatever the body.
	'/api/v1/hooks/storage': { path: () => '/api/v1/hooks/storage', endpoints: { POST: tokenOnly } },
	'/admin/sampling': {
		path: () => '/admin/sampling',
		page: adminOnly,
		// An empty form stops at validation ("How many prompts?"): no job is made, no request goes out.
		actions: { create: { expect: adminOnly } }
	},
	// A job id that names nothing: the guards run first, so only the admin reaches the 404.
	'/admin/jobs/[id]': {
		path: () => `/admin/jobs/${NO_SUCH_JOB}`,
		page: adminOnlyMissing,
		actions: { cancel: { expect: adminOnlyMissing }, resume: { expect: adminOnlyMissing } }
	},
	'/api/v1/jobs/[id]': { path: () => `/api/v1/jobs/${NO_SUCH_JOB}`, endpoints: { GET: adminOnlyMissing } },
	'/admin/datasets': {
		path: () => '/admin/datasets',
		page: adminOnly,
		// An empty form stops at validation ("Give the dataset a name."): no dataset is made.
		actions: { create: { expect: adminOnly } }
	},
	// A dataset id that names nothing: the guards run first, then the lookup, so only the admin reaches the 404,
	// before any form is read or any version frozen.
	'/admin/datasets/[id]': {
		path: () => '/admin/datasets/00000000-0000-4000-8000-0000000da7a5',
		page: adminOnlyMissing,
		actions: { update: { expect: adminOnlyMissing }, publish: { expect: adminOnlyMissing } }
	},
	'/admin/datasets/[id]/v/[version]': {
		path: () => '/admin/datasets/00000000-0000-4000-8000-0000000da7a5/v/1',
		page: adminOnlyMissing,
		actions: { retry: { expect: adminOnlyMissing }, train: { expect: adminOnlyMissing } }
	},
	'/admin/datasets/[id]/v/[version]/files/[...path]': {
		path: () => '/admin/datasets/00000000-0000-4000-8000-0000000da7a5/v/1/files/manifest.json',
		endpoints: { GET: adminOnlyMissing }
	},
	'/api/v1/datasets/versions/[id]': { path: () => '/api/v1/datasets/versions/00000000-0000-4000-8000-0000000da7a6', endpoints: { GET: adminOnlyMissing } },
	// A body of `{}` is one line with no prompt: the admin's import is refused at validation (400) and writes nothing.
	'/api/v1/imports/[kind]': { path: () => '/api/v1/imports/prompts?name=matrix.jsonl', endpoints: { POST: adminOnly } },
	'/rank': { path: () => '/rank', page: signedIn },
	// Arena mode: admins, and people an admin trusted with it (no demo account is). Bodies are `{}`: the admin stops at validation.
	'/arena': { path: () => '/arena', page: adminOnly },
	'/api/v1/arena/battles': { path: () => '/api/v1/arena/battles', endpoints: { POST: adminOnly } },
	'/api/v1/arena/battles/[id]': { path: () => `/api/v1/arena/battles/${NO_SUCH_PAIR}`, endpoints: { GET: adminOnlyMissing } },
	'/api/v1/arena/judgments': { path: () => '/api/v1/arena/judgments', endpoints: { POST: adminOnly } },
	// The ranking page's API: any signed-in role ranks. Bodies are `{}`, so the allowed calls stop at validation (400).
	'/api/v1/rank/pairs': { path: () => '/api/v1/rank/pairs', endpoints: { GET: signedIn } },
	'/api/v1/rank/judgments': { path: () => '/api/v1/rank/judgments', endpoints: { POST: signedIn } },
	'/api/v1/rank/skips': { path: () => '/api/v1/rank/skips', endpoints: { POST: signedIn } },
	'/api/v1/rank/undo': { path: () => '/api/v1/rank/undo', endpoints: { POST: signedIn } },
	// Gold examples: any signed-in role writes them. `{}` stops at validation (400); an unknown id is a 404
	// before the body is read, and the editor page on it too. /gold/new without a candidate goes back to /rank.
	'/api/v1/gold': { path: () => '/api/v1/gold', endpoints: { POST: signedIn } },
	'/api/v1/gold/[id]': { path: () => `/api/v1/gold/${NO_SUCH_GOLD}`, endpoints: { GET: signedInMissing, PUT: signedInMissing } },
	'/api/v1/gold/[id]/submit': { path: () => `/api/v1/gold/${NO_SUCH_GOLD}/submit`, endpoints: { POST: signedInMissing } },
	'/api/v1/markdown': { path: () => '/api/v1/markdown', endpoints: { POST: signedIn } },
	'/gold/[id]': { path: () => `/gold/${NO_SUCH_GOLD}`, page: signedInMissing },
	'/gold/new': { path: () => '/gold/new', page: signedIn },
	'/review': { path: () => '/review', page: reviewers },
	// A gold example id that names nothing: the guards run first, so only reviewers and admins reach the 404.
	'/review/[id]': {
		path: () => `/review/${NO_SUCH_GOLD}`,
		page: reviewersMissing,
		actions: {
			approve: { expect: reviewersMissing },
			requestChanges: { expect: reviewersMissing },
			reject: { expect: reviewersMissing }
		}
	},
	'/gold': {
		path: () => '/gold',
		page: signedIn,
		// Empty forms only: the admin's call stops at "Which example?" (400), and nothing is pinned.
		actions: { pin: { expect: adminOnly }, unpin: { expect: adminOnly } }
	},
	'/invite/[token]': {
		// Public: the token in the path is the credential. An unknown one shows "not valid" to anyone,
		// and an empty form fails validation before the token is looked at.
		path: () => `/invite/${'a'.repeat(32)}`,
		page: everyone,
		actions: { default: { expect: everyone } }
	}
};

function ruledSurfaces(): Surface[] {
	return Object.entries(rules).flatMap(([routeId, rule]): Surface[] => [
		...(rule.page ? [{ routeId, kind: 'page' as const }] : []),
		...Object.keys(rule.actions ?? {}).map((name) => ({ routeId, kind: 'action' as const, name })),
		...Object.keys(rule.endpoints ?? {}).map((method) => ({ routeId, kind: 'endpoint' as const, method }))
	]);
}

let world: World;
let opened: APIRequestContext[] = [];

async function buildWorld(playwright: Playwright): Promise<World> {
	const track = async (client: Promise<APIRequestContext>) => {
		const resolved = await client;
		opened.push(resolved);
		return resolved;
	};
	const session = (email: string, password: string) => track(signIn(playwright, email, password));
	const [anonymous, annotator, reviewer, admin] = await Promise.all([
		track(newClient(playwright)),
		session(demo.annotator.email, demo.annotator.password),
		session(demo.reviewer.email, demo.reviewer.password),
		session(demo.admin.email, demo.admin.password)
	]);
	const email = 'matrix-target@example.test';
	// After a failed test Playwright starts a new worker and this runs again on the same database.
	if (!(await findUser(admin, email)))
		await submitOrFail(admin, '/admin/users', 'create', { email, displayName: 'Matrix Target', role: 'annotator', password: MATRIX_PASSWORD });
	const targetRow = await findUser(admin, email);
	if (targetRow?.status === 'disabled') await submitOrFail(admin, `/admin/users/${targetRow.id}`, 'enable', {});
	await submitOrFail(admin, '/admin/users', 'invite', { email: REVOKED, role: 'annotator' });
	const invite = (await openInvites(admin)).find((row) => row.email === REVOKED);
	if (!targetRow || !invite) throw new Error('the admin pages do not list the user and invite the matrix just made');
	const built: World = {
		clients: { anonymous, annotator, reviewer, admin },
		target: { id: targetRow.id, email, password: MATRIX_PASSWORD, session: await session(email, MATRIX_PASSWORD) },
		inviteToRevoke: invite.id,
		fresh: (caller) => (caller === 'anonymous' ? track(newClient(playwright)) : session(demo[caller].email, demo[caller].password)),
		async signInTarget() {
			built.target.session = await session(email, MATRIX_PASSWORD);
		}
	};
	return built;
}

test('every page, action and endpoint under src/routes has a rule, and every rule a route', () => {
	const found = readRouteTree().map(describeSurface);
	const ruled = ruledSurfaces().map(describeSurface);
	expect(found.filter((s) => !ruled.includes(s)), 'no rule in tests/e2e/authz-matrix.spec.ts for').toEqual([]);
	expect(ruled.filter((s) => !found.includes(s)), 'rules for what src/routes no longer has').toEqual([]);
});

test.describe('each caller gets exactly what its rule says', () => {
	test.beforeAll(async ({ playwright }) => {
		world = await buildWorld(playwright);
	});
	test.afterAll(async () => {
		await Promise.all(opened.map((client) => client.dispose()));
		opened = [];
	});

	for (const [routeId, rule] of Object.entries(rules)) {
		const parts = [rule.page && 'page', ...Object.keys(rule.endpoints ?? {}), ...Object.keys(rule.actions ?? {}).map((a) => `?/${a}`)];
		test(`${routeId} (${parts.filter(Boolean).join(', ')})`, async () => {
			const path = rule.path(world);
			const expected: Record<string, string> = {};
			const actual: Record<string, string> = {};

			for (const caller of callers) {
				if (rule.page) {
					const key = `GET ${path} as ${caller}`;
					const response = await world.clients[caller].get(path, { maxRedirects: 0 });
					expected[key] = rule.page[caller];
					actual[key] = classify(response.status(), response.headers()['location'], path, false);
				}
				for (const [method, expectation] of Object.entries(rule.endpoints ?? {})) {
					const key = `${method} ${path} as ${caller}`;
					const reads = method === 'GET' || method === 'HEAD';
					const response = await world.clients[caller].fetch(path, {
						method: method === 'fallback' ? 'PATCH' : method,
						...(reads ? {} : { data: {} }),
						maxRedirects: 0
					});
					expected[key] = expectation[caller];
					actual[key] = classify(response.status(), response.headers()['location'], path, !reads);
				}
			}

			for (const [name, action] of Object.entries(rule.actions ?? {})) {
				await action.prepare?.(world);
				for (const caller of callers) {
					const key = `POST ${path} ?/${name} as ${caller}`;
					const client = action.freshSession ? await world.fresh(caller) : world.clients[caller];
					const before = await action.witness?.(world, client);
					let outcome = classifyAction(await submitAction(client, path, name, action.form?.(world)), path);
					if (action.witness) {
						const changed = !isDeepStrictEqual(before, await action.witness(world, client));
						if (outcome === 'ok' && !changed) outcome = 'ok, but it changed nothing';
						if (outcome !== 'ok' && changed) outcome = `${outcome}, yet it changed something`;
					}
					expected[key] = action.expect[caller];
					actual[key] = outcome;
				}
			}

			expect(actual).toEqual(expected);
		});
	}
});
