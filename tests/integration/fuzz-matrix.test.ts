import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, testDatabaseKind } from '../support/database';
import { signIn, startServer, type RunningServer } from '../support/server';
import { fingerprint, formCases, jsonCases, LEAK, multipart, LONE_SURROGATE, NUL, OVER_LIMIT, readAction, readJson, type Case, type FormFields, type Json } from '../support/fuzz';
import { describeSurface, readRouteTree } from '../e2e/support/route-tree';
import { demoAccounts } from '../../src/lib/server/demo/seed';
import { datasetFields } from '../../src/lib/server/datasets/pages';
import { defaultSpec } from '../../src/lib/server/datasets/spec';

/*
 * The fuzz matrix: every form action and every JSON endpoint under src/routes,
 * sent malformed JSON, wrong types, NUL and lone surrogates in each string
 * field, a malformed multipart body, the wrong content type and a body over
 * the limit, against the production build on PostgreSQL. Each answer must be a
 * 4xx (a NUL or surrogate: a 400 naming the field), with no stack trace or SQL
 * in it, and no table may change. Each route is called by the role it needs,
 * on rows that exist, so the bad input reaches the validation it is aimed at.
 * A route without an entry here fails the first test.
 *
 * Needs `npm run build` and a PostgreSQL server (TEST_DATABASE_URL): the rows
 * are counted in the database the server writes to, which an embedded PGlite
 * folder held by the server cannot offer.
 */

/** `leaving`: an annotator's second session, which /logout may end without signing the matrix's annotator out. */
type Role = 'anonymous' | 'annotator' | 'reviewer' | 'admin' | 'leaving';

type World = {
	persona: string;
	userId: string;
	annotatorId: string;
	modelId: string;
	/** A second model server version (a candidate), for an evaluation round against the current one. */
	candidateId: string;
	/** An evaluation round of the two, its sampling job never run (JOBS_WORKER is off). */
	roundId: string;
	jobId: string;
	datasetId: string;
	version: number;
	gold: { id: string; revision: string };
	inviteToken: string;
	pair: { pairId: string; leftCandidateId: string; promptId: string };
};

type Entry = {
	as: Role;
	path: (world: World) => string;
	/** Form actions: a valid submission. JSON endpoints: a valid body. */
	form?: (world: World) => FormFields;
	json?: (world: World) => Json;
	/** Cases beyond (or instead of) the generated ones, for bodies that are files or events. */
	cases?: (world: World, path: string) => Case[];
	/** Tables this route writes to by design even when it refuses (with why). */
	writesAnyway?: string[];
};

const WEBHOOK_TOKEN = 'fuzz-matrix-webhook-token';
const uuid = () => crypto.randomUUID();
const NO_SUCH_RUN = '00000000-0000-4000-8000-00000000f022';
const DEMO_PASSWORD = (role: 'annotator' | 'reviewer' | 'admin') => demoAccounts.find((a) => a.role === role)!.password;

const modelFields = { name: 'Fuzz model', baseUrl: 'http://127.0.0.1:9/v1', model: 'fuzz', apiKeyEnv: '', temperature: '', top_p: '', max_tokens: '', seed: '' };
const samplingFields = {
	domain: '', search: '', withoutOpenPairs: '', limit: '2', strategy: 'temperatures', t1: '0.3', t2: '1.0',
	temperature: '0.7', n: '2', priority: '0', concurrency: '1', timeoutSeconds: '60', maxTokens: '64'
};
const datasetForm = (slug: string): FormFields => datasetFields({ name: 'Fuzz set', slug, description: '', spec: defaultSpec() });
const upload = (name: string, text: string) => new File([text], name);

/** Import bodies with one bad line each; the answer must name that line. */
function importCases(send: (body: string, name: string) => Case['send']): Case[] {
	const good = JSON.stringify({ prompt: 'A fine question?' });
	return [
		{ name: 'JSONL with NUL on line 2', send: send(`${good}\n${JSON.stringify({ prompt: `bad ${NUL}` })}\n`, 'p.jsonl'), says: /"line":2|line 2/ },
		{ name: 'JSONL with a lone surrogate on line 2', send: send(`${good}\n${JSON.stringify({ prompt: `bad ${LONE_SURROGATE}` })}\n`, 'p.jsonl'), says: /"line":2|line 2/ },
		{ name: 'CSV with a NUL byte on line 3', send: send(`prompt,domain\nfine,chat\nbad\u0000cell,chat\n`, 'p.csv'), says: /"line":3|line 3/ },
		{ name: 'not JSON', send: send('{"', 'p.jsonl') }
	];
}

const entries: Record<string, Entry> = {
	'POST /login ?/default': { as: 'anonymous', path: () => '/login', form: () => ({ email: 'nobody@example.com', password: 'not-the-password' }) },
	'POST /logout ?/default': { as: 'leaving', path: () => '/logout', form: () => ({}) },
	'POST /account ?/password': {
		as: 'annotator',
		path: () => '/account?/password',
		form: () => ({ currentPassword: DEMO_PASSWORD('annotator'), newPassword: 'fuzz-new-password', confirmPassword: 'fuzz-new-password' })
	},
	'POST /admin/users ?/create': {
		as: 'admin',
		path: () => '/admin/users?/create',
		form: () => ({ email: 'fuzz-created@example.com', displayName: 'Fuzz Created', role: 'annotator', password: 'fuzz-password-1' })
	},
	'POST /admin/users ?/invite': { as: 'admin', path: () => '/admin/users?/invite', form: () => ({ email: 'fuzz-invited@example.com', role: 'reviewer' }) },
	'POST /admin/users ?/revokeInvite': { as: 'admin', path: () => '/admin/users?/revokeInvite', form: () => ({ inviteId: uuid() }) },
	'POST /admin/users/[id] ?/role': { as: 'admin', path: (w) => `/admin/users/${w.userId}?/role`, form: () => ({ role: 'reviewer' }) },
	'POST /admin/users/[id] ?/resetPassword': {
		as: 'admin',
		path: (w) => `/admin/users/${w.userId}?/resetPassword`,
		form: () => ({ password: 'fuzz-password-2', confirmPassword: 'fuzz-password-2' })
	},
	'POST /admin/users/[id] ?/disable': { as: 'admin', path: (w) => `/admin/users/${w.userId}?/disable`, form: () => ({}) },
	'POST /admin/users/[id] ?/enable': { as: 'admin', path: (w) => `/admin/users/${w.userId}?/enable`, form: () => ({}) },
	'POST /admin/users/[id] ?/arena': { as: 'admin', path: (w) => `/admin/users/${w.userId}?/arena`, form: () => ({ arenaAccess: 'on' }) },
	'POST /admin/queue ?/release': { as: 'admin', path: () => '/admin/queue?/release', form: (w) => ({ annotatorId: w.annotatorId }) },
	// No fields: only the malformed bodies reach it, and each is refused before the action runs.
	'POST /admin/quality ?/refresh': { as: 'admin', path: (w) => `/admin/quality?persona=${w.persona}&/refresh`, form: () => ({}) },
	'POST /admin/quality ?/settings': {
		as: 'admin',
		path: (w) => `/admin/quality?persona=${w.persona}&/settings`,
		form: () => ({
			checkEvery: '20', significance: '0.01', minVotes: '30', minCheckAnswers: '10', minCheckAccuracy: '0.7', minAgreement: '0.5',
			maxWordsPerSecond: '20', maxFastShare: '0.2', maxRun: '15', maxRateDeviation: '0.25', maxSameStrengthShare: '0.95', goldEditChecks: 'on'
		})
	},
	'POST /admin/queue ?/reclaim': { as: 'admin', path: () => '/admin/queue?/reclaim', form: () => ({}) },
	'POST /admin/queue ?/backfillChecks': { as: 'admin', path: () => '/admin/queue?/backfillChecks', form: () => ({}) },
	'POST /admin/queue/pairs/[id] ?/mark': { as: 'admin', path: (w) => `/admin/queue/pairs/${w.pair.pairId}?/mark`, form: () => ({ knownAnswer: 'a' }) },
	'POST /admin/queue/pairs/[id] ?/unmark': { as: 'admin', path: (w) => `/admin/queue/pairs/${w.pair.pairId}?/unmark`, form: () => ({}) },
	'POST /admin/prompts ?/prompts': {
		as: 'admin',
		path: () => '/admin/prompts?/prompts',
		form: () => ({ format: 'auto' }),
		cases: (_w, at) => importCases((body, name) => ({ path: at, body: multipart({ format: 'auto', file: upload(name, body) }) }))
	},
	'POST /admin/prompts ?/candidates': {
		as: 'admin',
		path: () => '/admin/prompts?/candidates',
		form: () => ({}),
		cases: (_w, at) => {
			const line = (completion: string) => JSON.stringify({ prompt_id: 'x', model: 'fuzz', completion });
			const file = (text: string) => ({ path: at, body: multipart({ file: upload('c.jsonl', text) }) });
			return [
				{ name: 'NUL in a completion on line 1', send: file(`${line(`bad ${NUL}`)}\n`), says: /line 1|"line":1/ },
				{ name: 'NUL in params on line 1', send: file(`${JSON.stringify({ prompt: 'q', model: 'fuzz', completion: 'c', params: { note: NUL } })}\n`), says: /line 1|"line":1/ },
				{ name: 'persona query with NUL', send: { path: `${at}&persona=${encodeURIComponent(NUL)}`, body: multipart({ file: upload('c.jsonl', line('fine')) }) } }
			];
		}
	},
	'POST /admin/models ?/create': { as: 'admin', path: () => '/admin/models?/create', form: () => modelFields },
	'POST /admin/models ?/update': { as: 'admin', path: () => '/admin/models?/update', form: (w) => ({ id: w.modelId, ...modelFields }) },
	'POST /admin/models ?/test': { as: 'admin', path: () => '/admin/models?/test', form: (w) => ({ id: w.modelId }) },
	'POST /admin/models ?/makeCurrent': { as: 'admin', path: () => '/admin/models?/makeCurrent', form: (w) => ({ id: w.modelId }) },
	'POST /admin/models ?/retire': { as: 'admin', path: () => '/admin/models?/retire', form: (w) => ({ id: w.modelId }) },
	'POST /admin/models/[id] ?/makeCurrent': { as: 'admin', path: (w) => `/admin/models/${w.modelId}?/makeCurrent`, form: () => ({ confirm: 'yes' }) },
	// The demo pool cannot take part in a round: a body that gets past the request id is refused by the rounds module.
	'POST /admin/models/[id] ?/startRound': { as: 'admin', path: (w) => `/admin/models/${w.modelId}?/startRound`, form: () => ({ requestId: uuid() }) },
	'POST /admin/evaluation ?/start': {
		as: 'admin',
		path: (w) => `/admin/evaluation?persona=${w.persona}&/start`,
		form: (w) => ({ modelVersionIds: [w.modelId, w.candidateId], prompts: '2', overlap: '1', priority: '0', temperature: '0.7', requestId: uuid() }),
		// The generated cases fuzz single fields; a ticked model is one of several values of the same name.
		cases: (w, at) => [
			{
				name: 'NUL in a ticked model',
				send: { path: at, body: multipart({ modelVersionIds: [w.modelId, w.candidateId + NUL], prompts: '2', overlap: '1', priority: '0', temperature: '0.7' }) },
				blames: 'modelVersionIds'
			}
		]
	},
	'POST /admin/evaluation ?/settings': {
		as: 'admin',
		path: (w) => `/admin/evaluation?persona=${w.persona}&/settings`,
		form: () => ({ prompts: '20', overlap: '1', priority: '10', temperature: '0.7', minVotes: '50', roundOnCandidate: 'on', autoPromote: 'on' })
	},
	'POST /admin/evaluation/rounds/[id] ?/close': { as: 'admin', path: (w) => `/admin/evaluation/rounds/${w.roundId}?/close`, form: () => ({}) },
	'POST /admin/training ?/terminate': { as: 'admin', path: () => '/admin/training?/terminate', form: () => ({ id: NO_SUCH_RUN }) },
	'POST /admin/training ?/retry': { as: 'admin', path: () => '/admin/training?/retry', form: () => ({ id: NO_SUCH_RUN }) },
	'POST /admin/training ?/resume': { as: 'admin', path: () => '/admin/training?/resume', form: () => ({ id: NO_SUCH_RUN }) },
	'POST /admin/sampling ?/create': {
		as: 'admin',
		path: () => '/admin/sampling?/create',
		form: () => samplingFields,
		cases: (_w, at) => [{ name: 'persona query with NUL', send: { path: `${at}&persona=${encodeURIComponent(NUL)}`, body: multipart(samplingFields) } }]
	},
	'POST /admin/jobs/[id] ?/cancel': { as: 'admin', path: (w) => `/admin/jobs/${w.jobId}?/cancel`, form: () => ({}) },
	'POST /admin/jobs/[id] ?/resume': { as: 'admin', path: (w) => `/admin/jobs/${w.jobId}?/resume`, form: () => ({}) },
	'POST /admin/datasets ?/create': { as: 'admin', path: () => '/admin/datasets?/create', form: () => datasetForm('fuzz-created') },
	// Editing keeps the slug (it is in object paths), so the form has none.
	'POST /admin/datasets/[id] ?/update': {
		as: 'admin',
		path: (w) => `/admin/datasets/${w.datasetId}?/update`,
		form: () => Object.fromEntries(Object.entries(datasetForm('fuzz-set')).filter(([name]) => name !== 'slug'))
	},
	'POST /admin/datasets/[id] ?/publish': { as: 'admin', path: (w) => `/admin/datasets/${w.datasetId}?/publish`, form: () => ({}) },
	'POST /admin/datasets/[id]/v/[version] ?/retry': { as: 'admin', path: (w) => `/admin/datasets/${w.datasetId}/v/${w.version}?/retry`, form: () => ({}) },
	'POST /admin/datasets/[id]/v/[version] ?/train': { as: 'admin', path: (w) => `/admin/datasets/${w.datasetId}/v/${w.version}?/train`, form: () => ({}) },
	'POST /review/[id] ?/approve': { as: 'reviewer', path: (w) => `/review/${w.gold.id}?/approve`, form: (w) => ({ revision: w.gold.revision, comment: 'Fine.' }) },
	'POST /review/[id] ?/requestChanges': { as: 'reviewer', path: (w) => `/review/${w.gold.id}?/requestChanges`, form: (w) => ({ revision: w.gold.revision, comment: 'Shorter.' }) },
	'POST /review/[id] ?/reject': { as: 'reviewer', path: (w) => `/review/${w.gold.id}?/reject`, form: (w) => ({ revision: w.gold.revision, comment: 'Off persona.' }) },
	'POST /gold ?/pin': { as: 'admin', path: () => '/gold?/pin', form: (w) => ({ id: w.gold.id }) },
	'POST /gold ?/unpin': { as: 'admin', path: () => '/gold?/unpin', form: (w) => ({ id: w.gold.id }) },
	'POST /invite/[token] ?/default': {
		as: 'anonymous',
		path: (w) => `/invite/${w.inviteToken}`,
		form: () => ({ displayName: 'Fuzz Invited', password: 'fuzz-password-3', confirmPassword: 'fuzz-password-3' })
	},
	'POST /api/v1/rank/judgments (+server)': {
		as: 'annotator',
		path: () => '/api/v1/rank/judgments',
		json: (w) => ({
			persona: w.persona,
			judgment: { clientId: uuid(), pairId: w.pair.pairId, preferred: 'left', strength: 2, rationale: 'Sounds like her.', durationMs: 1200 }
		})
	},
	'POST /api/v1/rank/skips (+server)': { as: 'annotator', path: () => '/api/v1/rank/skips', json: (w) => ({ persona: w.persona, pairId: w.pair.pairId }) },
	'POST /api/v1/rank/undo (+server)': { as: 'annotator', path: () => '/api/v1/rank/undo', json: (w) => ({ persona: w.persona, clientId: uuid() }) },
	// A bad battle is refused before any model is asked, so the matrix's unreachable model is never called.
	'POST /api/v1/arena/battles (+server)': {
		as: 'admin',
		path: () => '/api/v1/arena/battles',
		json: (w) => ({ persona: w.persona, battleId: uuid(), prompt: 'How are you today?', domain: 'chat' })
	},
	'POST /api/v1/arena/judgments (+server)': {
		as: 'admin',
		path: () => '/api/v1/arena/judgments',
		json: (w) => ({ judgment: { clientId: uuid(), pairId: w.pair.pairId, preferred: 'left', strength: 2, rationale: 'Sounds like her.', durationMs: 900 } })
	},
	'POST /api/v1/gold (+server)': { as: 'annotator', path: () => '/api/v1/gold', json: (w) => ({ promptId: w.pair.promptId, sourceCandidateId: w.pair.leftCandidateId }) },
	'PUT /api/v1/gold/[id] (+server)': { as: 'annotator', path: (w) => `/api/v1/gold/${w.gold.id}`, json: (w) => ({ baseRevision: Number(w.gold.revision), text: 'An edited reply.' }) },
	'POST /api/v1/gold/[id]/submit (+server)': { as: 'annotator', path: (w) => `/api/v1/gold/${w.gold.id}/submit`, json: (w) => ({ revision: Number(w.gold.revision) }) },
	'POST /api/v1/markdown (+server)': { as: 'annotator', path: () => '/api/v1/markdown', json: () => ({ text: 'Some *markdown*.' }) },
	'POST /api/v1/imports/[kind] (+server)': {
		as: 'admin',
		path: () => '/api/v1/imports/prompts?name=fuzz.jsonl',
		cases: (w) => {
			const send = (body: string, name: string) => ({ path: `/api/v1/imports/prompts?name=${name}&persona=${w.persona}`, body });
			const fine = `${JSON.stringify({ prompt: 'A fine question?' })}\n`;
			return [
				...importCases(send),
				{ name: 'NUL in ?name=', send: { path: `/api/v1/imports/prompts?name=${encodeURIComponent(`p${NUL}.jsonl`)}`, body: fine }, says: /name/ },
				{ name: 'NUL in ?persona=', send: { path: `/api/v1/imports/prompts?name=p.jsonl&persona=${encodeURIComponent(NUL)}`, body: fine }, says: /persona/ },
				{ name: 'a multipart body', send: { path: `/api/v1/imports/prompts?name=p.jsonl`, body: multipart({ file: upload('p.jsonl', fine) }) } },
				{ name: 'a body over the limit', send: { path: `/api/v1/imports/prompts?name=p.jsonl`, body: '{"'.padEnd(OVER_LIMIT, 'x') } }
			];
		}
	},
	'POST /api/v1/hooks/storage (+server)': {
		as: 'anonymous',
		path: () => '/api/v1/hooks/storage',
		// Deliveries are kept for diagnosis: events in storage_event, refusals as counters and a bounded sample.
		writesAnyway: ['storage_event', 'webhook_rejection_count', 'webhook_rejection_sample'],
		cases: () => {
			const event = (key: string, extra: Record<string, unknown> = {}) => ({
				EventName: 's3:ObjectCreated:Put',
				Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'codelynn' }, object: { key, size: 2, sequencer: '1' } }, ...extra }]
			});
			const headers = { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' };
			const post = (body: string) => ({ path: '/api/v1/hooks/storage', headers, body });
			return [
				{ name: 'NUL in the key', send: post(JSON.stringify(event(`datasets/${NUL}/manifest.json`))) },
				{ name: 'an escaped NUL (%00) in the key', send: post(JSON.stringify(event('datasets%2Fa%00b%2Fmanifest.json'))) },
				{ name: 'a lone surrogate in the key', send: post(JSON.stringify(event(`datasets/${LONE_SURROGATE}/manifest.json`))) },
				{ name: 'NUL in a field the schema does not name', send: post(JSON.stringify(event('datasets/x/manifest.json', { userIdentity: { principalId: NUL } }))) },
				{ name: 'malformed JSON', send: post('{"') },
				{ name: 'a body over the limit', send: post(JSON.stringify(event('k', { padding: 'x'.repeat(OVER_LIMIT) }))) }
			];
		}
	}
};

function casesOf(key: string, entry: Entry, world: World): Case[] {
	const at = entry.path(world);
	const method = key.split(' ')[0]!;
	const generated = entry.form ? formCases(at, entry.form(world)) : entry.json ? jsonCases(method, at, entry.json(world)) : [];
	return [...generated, ...(entry.cases?.(world, at) ?? [])].map((c) => ({ ...c, send: { method, ...c.send } }));
}

const kind = testDatabaseKind();

describe.runIf(kind === 'postgres')('the fuzz matrix, against the production build on PostgreSQL', () => {
	let server: RunningServer;
	let sql: Sql;
	let drop: () => Promise<void>;
	let objects: string;
	let world: World;
	const cookies: Partial<Record<Role, string>> = {};

	async function send(role: Role, sent: Case['send'], isAction: boolean): Promise<ReturnType<typeof readJson>> {
		const headers: Record<string, string> = { origin: server.origin, ...(sent.headers ?? {}) };
		if (cookies[role]) headers.cookie = cookies[role]!;
		if (isAction) Object.assign(headers, { accept: 'application/json', 'x-sveltekit-action': 'true' });
		const response = await fetch(`${server.origin}${sent.path}`, { method: sent.method ?? 'POST', headers, body: sent.body, redirect: 'manual' });
		return isAction ? readAction(response) : readJson(response);
	}

	/** A pair in the annotator's hand, and a gold example edited from one of its replies, submitted for review. */
	async function seedGold(persona: string): Promise<Pick<World, 'pair' | 'gold'>> {
		const call = async (method: string, at: string, body?: unknown) => {
			const headers = { cookie: cookies.annotator!, 'content-type': 'application/json', origin: server.origin };
			const response = await fetch(`${server.origin}${at}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
			if (!response.ok) throw new Error(`seeding ${at} failed: ${await response.text()}`);
			return response.json();
		};
		const { pairs } = (await call('GET', `/api/v1/rank/pairs?persona=${persona}`)) as { pairs: Array<{ pairId: string; leftCandidateId: string }> };
		const [{ pairId, leftCandidateId }] = pairs as [(typeof pairs)[number]];
		const [prompt] = await sql<Array<{ id: string }>>`select prompt_id as id from pair where id = ${pairId}`;
		const example = (await call('POST', '/api/v1/gold', { promptId: prompt!.id, sourceCandidateId: leftCandidateId })) as { id: string; revision: number };
		const saved = (await call('PUT', `/api/v1/gold/${example.id}`, { baseRevision: example.revision, text: 'A gold reply.' })) as { revision: number };
		await call('POST', `/api/v1/gold/${example.id}/submit`, { revision: saved.revision });
		return { pair: { pairId, leftCandidateId, promptId: prompt!.id }, gold: { id: example.id, revision: String(saved.revision) } };
	}

	async function seed(): Promise<World> {
		const [persona] = await sql<Array<{ slug: string }>>`select slug from persona order by name limit 1`;
		const [annotator] = await sql<Array<{ id: string }>>`select id from "user" where role = 'annotator' order by created_at limit 1`;
		const [model] = await sql<Array<{ id: string }>>`select id from model_version order by created_at limit 1`;
		const admin = async (at: string, fields: FormFields) => {
			const answer = await send('admin', { path: at, body: multipart(fields) }, true);
			if (answer.status >= 400) throw new Error(`seeding ${at} failed: ${answer.text}`);
			return answer;
		};
		await admin('/admin/users?/create', { email: 'fuzz-target@example.com', displayName: 'Fuzz Target', role: 'annotator', password: 'fuzz-password-0' });
		const invited = await admin('/admin/users?/invite', { email: 'fuzz-invitee@example.com', role: 'annotator' });
		const inviteToken = /\/invite\/([\w-]+)/.exec(invited.text)?.[1];
		// Sampling needs a model server as the current model; with JOBS_WORKER off nothing ever calls it.
		await admin('/admin/models?/create', { ...modelFields, name: 'Fuzz sampler' });
		const [sampler] = await sql<Array<{ id: string }>>`select id from model_version where name = 'Fuzz sampler'`;
		// Confirmed: the demo pool it replaces has no evaluation votes against it, so the verdict is "not yet known".
		await admin('/admin/models?/makeCurrent', { id: sampler!.id, confirm: 'yes' });
		await admin('/admin/models?/create', { ...modelFields, name: 'Fuzz candidate' });
		const [candidate] = await sql<Array<{ id: string }>>`select id from model_version where name = 'Fuzz candidate'`;
		await admin(`/admin/evaluation?persona=${persona!.slug}&/start`, { modelVersionIds: [sampler!.id, candidate!.id], prompts: '2', overlap: '1', priority: '0', temperature: '0.7' });
		const [round] = await sql<Array<{ id: string }>>`select id from evaluation_round order by created_at desc limit 1`;
		await admin('/admin/sampling?/create', samplingFields);
		await admin('/admin/datasets?/create', datasetForm('fuzz-set'));
		const [target] = await sql<Array<{ id: string }>>`select id from "user" where email = 'fuzz-target@example.com'`;
		const [job] = await sql<Array<{ id: string }>>`select id from job order by created_at desc limit 1`;
		const [dataset] = await sql<Array<{ id: string }>>`select id from dataset where slug = 'fuzz-set'`;
		await admin(`/admin/datasets/${dataset!.id}?/publish`, {});
		const [version] = await sql<Array<{ version: number }>>`select version from dataset_version where dataset_id = ${dataset!.id}`;
		const { pair, gold } = await seedGold(persona!.slug);
		if (!target || !job || !dataset || !version || !inviteToken || !candidate || !round) throw new Error('seeding the matrix world failed');
		return {
			persona: persona!.slug,
			userId: target.id,
			annotatorId: annotator!.id,
			modelId: model!.id,
			candidateId: candidate.id,
			roundId: round.id,
			jobId: job.id,
			datasetId: dataset.id,
			version: version.version,
			gold,
			inviteToken,
			pair
		};
	}

	beforeAll(async () => {
		const scratch = await createScratchPostgres();
		drop = scratch.drop;
		objects = mkdtempSync(path.join(tmpdir(), 'fuzz-objects-'));
		server = await startServer({
			DATABASE_URL: scratch.url,
			DEMO_WORKSPACE: 'on',
			// Nothing may change the tables behind the matrix's back.
			JOBS_WORKER: 'off',
			STORAGE_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
			OBJECTS_DIR: objects,
			LOG_LEVEL: 'warn'
		});
		sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
		for (const role of ['annotator', 'reviewer', 'admin'] as const)
			cookies[role] = await signIn(server.origin, demoAccounts.find((a) => a.role === role)!.email, DEMO_PASSWORD(role));
		cookies.leaving = await signIn(server.origin, demoAccounts.find((a) => a.role === 'annotator')!.email, DEMO_PASSWORD('annotator'));
		world = await seed();
	}, 120_000);

	afterAll(async () => {
		await server?.stop('SIGKILL');
		await sql?.end();
		await drop?.();
		if (objects) rmSync(objects, { recursive: true, force: true });
	});

	it('has an entry for every form action and every endpoint that takes a body, and no entry for a route that is gone', () => {
		const found = readRouteTree()
			.filter((s) => s.kind === 'action' || (s.kind === 'endpoint' && !['GET', 'HEAD'].includes(s.method)))
			.map((s) => (s.kind === 'action' ? `POST ${s.routeId} ?/${s.name}` : describeSurface(s)));
		expect(found.filter((s) => !(s in entries)), 'no entry in tests/integration/fuzz-matrix.test.ts for').toEqual([]);
		expect(Object.keys(entries).filter((s) => !found.includes(s)), 'entries for what src/routes no longer has').toEqual([]);
	});

	for (const [key, entry] of Object.entries(entries)) {
		it(`${key}: every bad body is a 4xx that names what is wrong, and changes nothing`, { timeout: 120_000 }, async () => {
			const isAction = key.includes(' ?/');
			const before = await fingerprint(sql, entry.writesAnyway);
			const outcomes: Record<string, string> = {};
			const expected: Record<string, string> = {};
			for (const c of casesOf(key, entry, world)) {
				const answer = await send(entry.as, c.send, isAction);
				const bad = answer.status < 400 || answer.status >= 500;
				const blamed = !c.blames || (answer.status === 400 && answer.fields.includes(c.blames));
				const said = !c.says || c.says.test(answer.text);
				const leaked = LEAK.test(answer.text);
				expected[c.name] = 'a 4xx' + (c.blames ? ` naming ${c.blames}` : '') + (c.says ? ` saying ${c.says}` : '');
				outcomes[c.name] =
					!bad && blamed && said && !leaked
						? expected[c.name]!
						: `${answer.status} (fields: ${answer.fields.join(', ') || 'none'})${leaked ? ' LEAKS' : ''}: ${answer.text.slice(0, 300)}`;
			}
			expect(outcomes).toEqual(expected);
			expect(await fingerprint(sql, entry.writesAnyway), 'a refused request changed a table').toEqual(before);
		});
	}
});
