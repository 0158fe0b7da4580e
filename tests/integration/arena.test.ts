import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import * as queue from '$lib/server/queue';
import { rowsOf } from '$lib/server/db';
import { modelVersion, type Role } from '$lib/server/db/schema';
import { insertRound } from '$lib/server/evaluation/round-rows';
import { listFighters } from '$lib/server/evaluation/arena';
import * as results from '$lib/server/evaluation/results';
import type { SessionUser } from '$lib/server/auth/session';
import type { PairView } from '$lib/rank/types';
import { POST as battlePost } from '../../src/routes/api/v1/arena/battles/+server';
import { GET as revealGet } from '../../src/routes/api/v1/arena/battles/[id]/+server';
import { POST as votePost } from '../../src/routes/api/v1/arena/judgments/+server';
import { load as arenaLoad } from '../../src/routes/arena/+page.server';
import { actions as userActions } from '../../src/routes/admin/users/[id]/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPrompts } from '../support/fixtures';
import { startModelServer, type ModelServer } from '../support/openai-server';
import { requestEvent, thrownBy } from '../support/request-event';
import * as sessionHelpers from '../support/sessions';

let database: TestDatabase;
let server: ModelServer;
/** Serves only "elsewhere": a request for any other model gets the server's 404, as vLLM answers a wrong name. */
let wrongServer: ModelServer;
let admin: SessionUser;
let annotator: SessionUser;
let persona: { personaId: string; slug: string; modelId: string };
let candidateId: string;
let brokenId: string;
let retiredId: string;

async function member(role: Role): Promise<SessionUser> {
	const email = `${role}-${crypto.randomUUID().slice(0, 6)}@arena.test`;
	const created = await accounts.createUser(database.db, { email, displayName: role, role, password: 'correct horse battery' }, { id: null });
	return (await sessionHelpers.signedIn(database.db, created.id)).user;
}

async function addModel(name: string, baseUrl: string, status: 'candidate' | 'retired', options: { defaultParams?: Record<string, unknown>; createdAt?: Date } = {}): Promise<string> {
	const [created] = await database.db
		.insert(modelVersion)
		.values({ personaId: persona.personaId, name, kind: 'endpoint', baseUrl, model: name, status, ...options })
		.returning({ id: modelVersion.id });
	return created!.id;
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	server = await startModelServer({ latencyMs: 300 });
	wrongServer = await startModelServer({ model: 'elsewhere' });
	persona = await createPersonaWithPrompts(database.db, { prompts: 0, baseUrl: server.baseUrl });
	// an older candidate, so policy-v8 stays the newest one (the default)
	brokenId = await addModel('policy-gone', wrongServer.baseUrl, 'candidate', { createdAt: new Date('2026-01-01') });
	candidateId = await addModel('policy-v8', server.baseUrl, 'candidate', { defaultParams: { temperature: 0.3, max_tokens: 200 } });
	retiredId = await addModel('policy-v6', server.baseUrl, 'retired');
	admin = await member('admin');
	annotator = await member('annotator');
});

afterAll(async () => {
	await server.close();
	await wrongServer.close();
	await runtime.stop();
});

beforeEach(() => {
	server.requests.length = 0;
});

function post(path: string, body: unknown, me: SessionUser | null) {
	const event = requestEvent(path, { method: 'POST', user: me, routeId: path });
	return { ...event, request: new Request(event.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
}

const battleBody = (changes: Record<string, unknown> = {}) => ({ persona: persona.slug, battleId: crypto.randomUUID(), prompt: 'How do I reverse a list in Python?', domain: 'coding', ...changes });

async function battle(body: Record<string, unknown>, me: SessionUser = admin): Promise<{ status: number; json: any }> {
	const response = await battlePost(post('/api/v1/arena/battles', body, me));
	return { status: response.status, json: await response.json() };
}

async function reveal(pairId: string, me: SessionUser = admin): Promise<{ status: number; json: any }> {
	const path = `/api/v1/arena/battles/${pairId}`;
	const response = await revealGet(requestEvent(path, { user: me, routeId: '/api/v1/arena/battles/[id]', params: { id: pairId } }));
	return { status: response.status, json: await response.json() };
}

function vote(pair: PairView, clientId = crypto.randomUUID(), me: SessionUser = admin) {
	return votePost(post('/api/v1/arena/judgments', { judgment: { clientId, pairId: pair.pairId, preferred: 'left', strength: 3 } }, me));
}

/** Rows a battle writes, counted across the persona. */
async function written(): Promise<Record<string, number>> {
	const [row] = rowsOf<Record<string, number>>(
		await database.db.execute(sql`
			select (select count(*) from prompt where persona_id = ${persona.personaId})::int as prompts,
				(select count(*) from candidate c join prompt p on p.id = c.prompt_id where p.persona_id = ${persona.personaId})::int as candidates,
				(select count(*) from pair where persona_id = ${persona.personaId})::int as pairs,
				(select count(*) from evaluation_round where persona_id = ${persona.personaId})::int as rounds,
				(select count(*) from lease)::int as leases,
				(select count(*) from pair_handout)::int as handouts,
				(select count(*) from audit_event where action = 'arena.battle')::int as audits`)
	);
	return row!;
}

describe('arena battles', () => {
	it('offer the current model against the newest candidate by default, and any two versions when there is no candidate', async () => {
		const fighters = await listFighters(database.db, persona.personaId);
		expect(fighters).toMatchObject({ noCandidate: false, defaults: { modelA: persona.modelId, modelB: candidateId } });
		expect(fighters.models.map((m) => m.id)).toEqual([persona.modelId, candidateId, brokenId]);
		expect(fighters.models.map((m) => m.id)).not.toContain(retiredId);
		const lone = await createPersonaWithPrompts(database.db, { prompts: 0, baseUrl: server.baseUrl });
		await database.db.insert(modelVersion).values({ personaId: lone.personaId, name: 'old', kind: 'endpoint', baseUrl: server.baseUrl, model: 'old', status: 'retired' });
		expect(await listFighters(database.db, lone.personaId)).toMatchObject({ noCandidate: true, models: [{ status: 'current' }, { name: 'old' }] });
	});

	it('ask both models live and at once, and write prompt, replies, round and a pair handed to the asker alone, exactly once', async () => {
		const before = await written();
		const body = battleBody();
		const { status, json } = await battle(body);
		expect(status).toBe(200);
		const shown = json.battle as PairView;
		expect(shown.pairId).toBe(body.battleId);
		expect(JSON.stringify(shown)).not.toMatch(/policy-v[78]/);
		expect(server.requests).toHaveLength(2);
		// both requests were out before the first answer came back (the server takes 300 ms each)
		expect(Math.abs(server.requests[0]!.at - server.requests[1]!.at)).toBeLessThan(300);
		const sent = Object.fromEntries(server.requests.map((r) => [r.body.model, r.body]));
		expect(sent['policy-v8']).toMatchObject({ temperature: 0.3, max_tokens: 200, messages: [{ role: 'system', content: expect.stringMatching(/codeLynn/) }, { role: 'user', content: body.prompt }] });
		expect(await written()).toEqual({ ...before, prompts: before.prompts! + 1, candidates: before.candidates! + 2, pairs: before.pairs! + 1, rounds: before.rounds! + 1, leases: before.leases! + 1, handouts: before.handouts! + 1, audits: before.audits! + 1 });

		const [row] = rowsOf<any>(
			await database.db.execute(sql`
				select p.overlap, p.lease_count, r.id as round_id, pr.source, pr.tags, pr.domain, r.source as round_source, r.prompt_source, r.candidate_model_version_id, r.baseline_model_version_id,
					(select array_agg(model_version_id::text order by model_version_id) from evaluation_round_model m where m.round_id = r.id) as models,
					(select count(*)::int from lease l where l.pair_id = p.id and l.annotator_id = ${admin.id}) as my_lease
				from pair p join prompt pr on pr.id = p.prompt_id join evaluation_round r on r.id = p.evaluation_round_id where p.id = ${body.battleId}`)
		);
		expect(row).toMatchObject({ overlap: 1, lease_count: 1, source: 'arena', tags: ['arena'], domain: 'coding', round_source: 'arena', prompt_source: 'arena', candidate_model_version_id: candidateId, baseline_model_version_id: persona.modelId, my_lease: 1 });
		expect(row.models).toEqual([persona.modelId, candidateId].sort());
		const watch = rowsOf<{ kind: string }>(await database.db.execute(sql`select kind from job where payload->>'roundId' = ${row.round_id}`));
		expect(watch, 'the round of a candidate is watched for auto-promotion').toEqual([{ kind: 'evaluation.watch' }]);

		const again = await battle(body);
		expect(again.json.battle).toEqual(shown);
		expect(server.requests).toHaveLength(2);
		expect((await written()).pairs).toBe(before.pairs! + 1);
	});

	it('keep one prompt per text and put a second battle of the same models in the same open round', async () => {
		const first = await battle(battleBody({ prompt: 'Same words, twice.' }));
		const second = await battle(battleBody({ prompt: '  Same words, twice. ' }));
		const rows = rowsOf<{ prompt_id: string; evaluation_round_id: string }>(
			await database.db.execute(sql`select prompt_id, evaluation_round_id from pair where id in (${first.json.battle.pairId}, ${second.json.battle.pairId})`)
		);
		expect(new Set(rows.map((r) => r.prompt_id)).size).toBe(1);
		expect(new Set(rows.map((r) => r.evaluation_round_id)).size).toBe(1);
	});

	it('count in a newer open round of both models started by an admin', async () => {
		const round = await database.db.transaction((tx) =>
			insertRound(tx, { personaId: persona.personaId, source: 'admin', promptSource: 'prompts', priority: 5, overlap: 3 }, [persona.modelId, candidateId])
		);
		const { json } = await battle(battleBody({ prompt: 'Which round am I in?' }));
		const [row] = rowsOf<{ evaluation_round_id: string; priority: number }>(await database.db.execute(sql`select evaluation_round_id, priority from pair where id = ${json.battle.pairId}`));
		expect(row).toEqual({ evaluation_round_id: round.id, priority: 5 });
	});

	it('write nothing when a model does not answer, and say which side failed', async () => {
		const before = await written();
		const { status, json } = await battle(battleBody({ modelA: persona.modelId, modelB: brokenId, prompt: 'Is anyone there?' }));
		expect(status).toBe(502);
		expect(json.message).toMatch(/^The second model did not answer: .*404/);
		expect(json.errors).toEqual({ modelB: expect.stringMatching(/second model/) });
		expect(await written()).toEqual(before);
	});

	it('refuse bad input with a 400 naming the field, before asking any model', async () => {
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ prompt: '   ' }, 'prompt'],
			[{ prompt: 'x'.repeat(8_001) }, 'prompt'],
			[{ prompt: 'nul \u0000 here' }, 'prompt'],
			[{ domain: 'Not A Domain' }, 'domain'],
			[{ modelA: candidateId, modelB: candidateId }, 'modelB'],
			[{ modelA: crypto.randomUUID() }, 'modelA'],
			[{ battleId: 'not-a-uuid' }, 'battleId']
		];
		for (const [changes, field] of cases) {
			const { status, json } = await battle(battleBody(changes));
			expect({ field, status }).toEqual({ field, status: 400 });
			expect(Object.keys(json.errors)).toContain(field);
		}
		expect(server.requests).toHaveLength(0);
	});
});

describe('voting in the arena', () => {
	it('refuses the reveal before the vote, records the vote once as a judgment of the round, then names the models', async () => {
		const shown = (await battle(battleBody({ prompt: 'Tell me a joke about compilers.' }))).json.battle as PairView;
		expect((await reveal(shown.pairId)).status).toBe(409);
		const modelOf = async (candidateId: string) =>
			rowsOf<{ id: string }>(await database.db.execute(sql`select model_version_id as id from candidate where id = ${candidateId}`))[0]!.id;
		const [leftModel, rightModel] = [await modelOf(shown.left.candidateId), await modelOf(shown.right.candidateId)];
		const before = await results.headToHead(database.db, leftModel, rightModel);
		const clientId = crypto.randomUUID();
		const first = await (await vote(shown, clientId)).json();
		const retry = await (await vote(shown, clientId)).json();
		expect([first.status, retry.status]).toEqual(['recorded', 'duplicate']);
		// the vote (left, clearly better) is one more win for the left reply's model in the evaluation results
		expect(await results.headToHead(database.db, leftModel, rightModel)).toMatchObject({ wins: before.wins + 1, ties: before.ties, losses: before.losses });
		const judged = rowsOf<{ choice: string; round: string | null; left: string }>(
			await database.db.execute(sql`
				select j.choice, p.evaluation_round_id as round, j.left_candidate_id as left from judgment j join pair p on p.id = j.pair_id where j.pair_id = ${shown.pairId}`)
		);
		expect(judged).toEqual([{ choice: expect.stringMatching(/^[ab]$/), round: expect.any(String), left: shown.leftCandidateId }]);
		const leftName = rowsOf<{ name: string }>(await database.db.execute(sql`select name from model_version where id = ${leftModel}`))[0]!.name;
		expect(first.reveal.left.name).toBe(leftName);
		expect((await reveal(shown.pairId)).json.reveal).toEqual(first.reveal);
		expect(new Set([first.reveal.left.name, first.reveal.right.name])).toEqual(new Set(['policy-v7', 'policy-v8']));
	});

	it('shows the newest battle still held and not voted on again after a reload, and not once it is voted on', async () => {
		const shown = (await battle(battleBody({ prompt: 'Reload me.' }))).json.battle as PairView;
		const open = async () => ((await arenaLoad(requestEvent(`/arena?persona=${persona.slug}`, { user: admin }))) as { open: PairView | null }).open;
		expect((await open())?.pairId).toBe(shown.pairId);
		expect((await open())?.leftCandidateId).toBe(shown.leftCandidateId);
		await vote(shown);
		expect((await open())?.pairId).not.toBe(shown.pairId);
	});

	it('takes only the voter’s own arena battles: another person’s is not theirs to vote on or reveal', async () => {
		const trusted = await member('reviewer');
		await database.db.execute(sql`update "user" set arena_access = true where id = ${trusted.id}`);
		const shown = (await battle(battleBody({ prompt: 'Whose battle is this?' }))).json.battle as PairView;
		const me = { ...trusted, arenaAccess: true };
		expect((await vote(shown, crypto.randomUUID(), me)).status).toBe(404);
		expect((await reveal(shown.pairId, me)).status).toBe(404);
	});

	it('leaves an unvoted battle to the ranking queue once its hold expires', async () => {
		const shown = (await battle(battleBody({ prompt: 'Nobody votes on this one.' }))).json.battle as PairView;
		await database.db.execute(sql`update lease set expires_at = now() - interval '1 second' where pair_id = ${shown.pairId}`);
		const other = await member('annotator');
		const handed = await queue.handOut(database.db, other.id, persona.personaId, 20, 30);
		expect(handed.map((p) => p.pairId)).toContain(shown.pairId);
	});
});

describe('arena access', () => {
	it('is closed to a signed-in person an admin has not trusted, and opens when an admin does (audited once)', async () => {
		expect(await thrownBy(() => arenaLoad(requestEvent(`/arena?persona=${persona.slug}`, { user: annotator })))).toMatchObject({ status: 403 });
		expect(await thrownBy(() => battlePost(post('/api/v1/arena/battles', battleBody(), annotator)))).toMatchObject({ status: 403 });
		expect(await thrownBy(() => revealGet(requestEvent('/api/v1/arena/battles/x', { user: annotator, params: { id: 'x' } })))).toMatchObject({ status: 403 });
		expect(await thrownBy(() => votePost(post('/api/v1/arena/judgments', {}, annotator)))).toMatchObject({ status: 403 });

		const trust = () =>
			userActions.arena!(requestEvent(`/admin/users/${annotator.id}?/arena`, { user: admin, form: { arenaAccess: 'on' }, routeId: '/admin/users/[id]', params: { id: annotator.id } }));
		expect(await trust()).toMatchObject({ done: expect.stringMatching(/can now use arena/) });
		await trust();
		const audits = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from audit_event where action = 'user.arena' and target_id = ${annotator.id}`));
		expect(audits[0]!.n).toBe(1);

		const [session] = [await sessionHelpers.signedIn(database.db, annotator.id)];
		expect(session.user.arenaAccess).toBe(true);
		const page = await arenaLoad(requestEvent(`/arena?persona=${persona.slug}`, { user: session.user }));
		expect(page).toMatchObject({ persona: { slug: persona.slug }, fighters: { defaults: { modelB: candidateId } } });
	});

	it('refuses a toggle that does not say on or off with a 400 naming the field, and changes nothing', async () => {
		const toggle = (form: Record<string, string>) =>
			userActions.arena!(requestEvent(`/admin/users/${annotator.id}?/arena`, { user: admin, form, routeId: '/admin/users/[id]', params: { id: annotator.id } }));
		for (const form of [{ arenaAccess: 'on\u0000' }, { arenaAccess: 'yes' }, {}] as Array<Record<string, string>>)
			expect(await toggle(form)).toMatchObject({ status: 400, data: { errors: { arenaAccess: expect.any(String) } } });
		expect(rowsOf<{ arena_access: boolean }>(await database.db.execute(sql`select arena_access from "user" where id = ${annotator.id}`))).toEqual([{ arena_access: true }]);
		expect(await toggle({ arenaAccess: 'off' })).toMatchObject({ done: expect.stringMatching(/closed to them/) });
	});
});
