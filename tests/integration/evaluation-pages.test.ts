import { isHttpError, isRedirect } from '@sveltejs/kit';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import { rowsOf } from '$lib/server/db';
import { auditEvent, evaluationRound, modelVersion } from '$lib/server/db/schema';
import { readEvaluationSettings } from '$lib/server/evaluation/settings';
import { evaluationSettingsForm } from '$lib/server/evaluation/settings-form';
import type { Leaderboard, RoundResults, RoundSummary, Verdict } from '$lib/server/evaluation/types';
import { SAMPLING_JOB } from '$lib/server/sampling/jobs';
import { runSamplingJob } from '$lib/server/sampling/worker';
import { runNext } from '$lib/server/jobs/runner';
import { actions as evaluationActions, load as evaluationLoad } from '../../src/routes/admin/evaluation/+page.server';
import { actions as roundActions, load as roundLoad } from '../../src/routes/admin/evaluation/rounds/[id]/+page.server';
import { actions as modelActions, load as modelLoad } from '../../src/routes/admin/models/[id]/+page.server';
import { actions as modelsActions, load as modelsLoad } from '../../src/routes/admin/models/+page.server';
import { load as loopLoad } from '../../src/routes/admin/loop/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPrompts, createUsers } from '../support/fixtures';
import { addVotes } from '../support/judgments';
import { startModelServer, type ModelServer } from '../support/openai-server';
import { requestEvent, thrownBy, type RequestEventOptions } from '../support/request-event';
import * as sessionHelpers from '../support/sessions';

/*
 * The evaluation pages as an admin uses them, on both drivers: a round
 * started from the form is sampled from the OpenAI-compatible test server by
 * the real job, annotators' votes on its pairs become the leaderboard and the
 * candidate's verdict, and "Make current" asks for a confirmation exactly when
 * that verdict is not "better" — on the server, whatever the page sends.
 */
let database: TestDatabase;
let server: ModelServer;
let admin: Awaited<ReturnType<typeof sessionHelpers.signedIn>>;
let annotators: Array<{ id: string }>;
let slug: string;
let personaId: string;
let current: string;
let candidate: string;
let roundId: string;

async function registerCandidate(name: string): Promise<string> {
	const [row] = await database.db
		.insert(modelVersion)
		.values({ personaId, name, kind: 'endpoint', baseUrl: server.baseUrl, model: name, status: 'candidate' })
		.returning({ id: modelVersion.id });
	return row!.id;
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	server = await startModelServer({ mode: 'vllm' });
	const [root] = await createUsers(database.db, 1, { role: 'admin', prefix: 'eval-root' });
	admin = await sessionHelpers.signedIn(database.db, root!.id);
	annotators = await createUsers(database.db, 2, { prefix: 'eval-crowd' });
	({ personaId, slug, modelId: current } = await createPersonaWithPrompts(database.db, { prompts: 24, baseUrl: server.baseUrl }));
	candidate = await registerCandidate('policy-v8');
}, 60_000);

afterAll(async () => {
	await server?.close();
	await runtime.stop();
});

function asAdmin(path: string, routeId: string, options: Pick<RequestEventOptions, 'form' | 'params'> = {}) {
	return requestEvent(path, { routeId, user: admin.user, session: admin.session, ...options });
}

function form(fields: Record<string, string | string[]>): FormData {
	const data = new FormData();
	for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) data.append(name, one);
	return data;
}

type EvaluationPage = { leaderboard: Leaderboard; rounds: RoundSummary[]; roundDefaults: { models: string[] }; settings: Record<string, unknown> };
type ModelPage = { verdict: Verdict | null; rounds: RoundSummary[]; model: { status: string } };

const evaluationPage = async () => (await evaluationLoad(asAdmin(`/admin/evaluation?persona=${slug}`, '/admin/evaluation'))) as EvaluationPage;
const modelPage = async (id: string) => (await modelLoad(asAdmin(`/admin/models/${id}`, '/admin/models/[id]', { params: { id } }))) as ModelPage;
const start = (fields: Record<string, string | string[]>) =>
	evaluationActions.start!(asAdmin(`/admin/evaluation?persona=${slug}&/start`, '/admin/evaluation', { form: form(fields) }));
const makeCurrentHere = (id: string, fields: Record<string, string> = {}) =>
	modelActions.makeCurrent!(asAdmin(`/admin/models/${id}?/makeCurrent`, '/admin/models/[id]', { params: { id }, form: fields }));
const statusOf = async (id: string) => (await database.db.select({ status: modelVersion.status }).from(modelVersion).where(eq(modelVersion.id, id)))[0]?.status;

/** Every evaluation pair of the round (overlap 2) gets a vote from each of the two annotators for `winner`'s reply. */
async function voteFor(winner: string): Promise<number> {
	const pairs = rowsOf<{ id: string; a_model: string }>(
		await database.db.execute(sql`
			select p.id, c.model_version_id as a_model from pair p join candidate c on c.id = p.candidate_a_id
			where p.evaluation_round_id = ${roundId}`)
	);
	await addVotes(database.db, pairs.flatMap((p) => annotators.map((a) => ({ pairId: p.id, annotatorId: a.id, choice: p.a_model === winner ? ('a' as const) : ('b' as const) }))));
	return pairs.length * annotators.length;
}

describe('/admin/evaluation', () => {
	it('starts empty, with the form set to the newest candidate against the current model', async () => {
		const page = await evaluationPage();
		expect(page.leaderboard.ratings).toEqual([]);
		expect(page.rounds).toEqual([]);
		expect(page.roundDefaults.models).toEqual([candidate, current]);
	});

	// The settings form as a browser sends it: every number field, check boxes only when ticked.
	const settingsFields = (changes: Record<string, string>) => ({ prompts: '', overlap: '', priority: '', temperature: '', minVotes: '', ...changes });

	it('refuses settings that do not parse with a 400 naming each field, and saves good ones with an audit event', async () => {
		const send = (fields: Record<string, string>) => evaluationActions.settings!(asAdmin(`/admin/evaluation?persona=${slug}&/settings`, '/admin/evaluation', { form: fields }));
		const before = await readEvaluationSettings(database.db, personaId);
		const bad = await send(settingsFields({ minVotes: 'many', temperature: '3', overlap: '0' }));
		expect(bad).toMatchObject({ status: 400, data: { errors: { minVotes: expect.any(String), temperature: expect.any(String), overlap: expect.any(String) }, values: { minVotes: 'many' } } });
		expect(await send({ minVotes: '5' })).toMatchObject({ status: 400, data: { errors: { prompts: expect.any(String) } } });
		expect(await readEvaluationSettings(database.db, personaId)).toEqual(before);

		expect(await send(settingsFields({ minVotes: '10', prompts: '12', autoPromote: 'on' }))).toEqual({ savedSettings: true });
		expect(await readEvaluationSettings(database.db, personaId)).toEqual({ ...before, minVotes: 10, prompts: 12, autoPromote: true });
		// An unticked box is absent from the form: the switch goes off again.
		expect(await send(settingsFields({ minVotes: '10', prompts: '12' }))).toEqual({ savedSettings: true });
		expect((await evaluationPage()).settings).toMatchObject({ minVotes: 10, prompts: 12, autoPromote: false, roundOnCandidate: false });
		expect((await database.db.select({ n: count() }).from(auditEvent).where(eq(auditEvent.action, 'evaluation.settings')))[0]?.n).toBe(2);
		expect(evaluationSettingsForm.fields).toEqual(['prompts', 'overlap', 'priority', 'temperature', 'minVotes', 'roundOnCandidate', 'autoPromote']);
	});

	it('refuses a round whose fields do not parse, naming each field, and starts nothing', async () => {
		const bad = await start({ modelVersionIds: [candidate], prompts: 'lots', overlap: '', priority: '', temperature: '9' });
		expect(bad).toMatchObject({ status: 400, data: { errors: { modelVersionIds: expect.any(String), prompts: expect.any(String), temperature: expect.any(String) } } });
		const unknown = await start({ modelVersionIds: [candidate, crypto.randomUUID()], prompts: '', overlap: '', priority: '', temperature: '' });
		expect(unknown).toMatchObject({ status: 400, data: { errors: { modelVersionIds: expect.any(String) } } });
		expect(await database.db.$count(evaluationRound)).toBe(0);
	});

	it('starts a round from the form, sends the admin to its page, and samples it through the sampling job', async () => {
		const thrown = await thrownBy(() => start({ modelVersionIds: [candidate, current], prompts: '', overlap: '2', priority: '', temperature: '' }));
		expect(isRedirect(thrown)).toBe(true);
		const [round] = await database.db.select().from(evaluationRound);
		roundId = round!.id;
		expect(isRedirect(thrown) && thrown.location).toBe(`/admin/evaluation/rounds/${roundId}`);
		expect(round).toMatchObject({ candidateModelVersionId: candidate, baselineModelVersionId: current, promptsRequested: 12, promptSource: 'prompts' });
		while (await runNext(database.db, 'test-worker', { [SAMPLING_JOB]: runSamplingJob })) {
			/* sample every reply of the round */
		}
		const page = (await roundLoad(asAdmin(`/admin/evaluation/rounds/${roundId}`, '/admin/evaluation/rounds/[id]', { params: { id: roundId } }))) as {
			results: RoundResults;
			sampling: { done: number; total: number; pairs: number };
		};
		expect(page.sampling).toMatchObject({ done: 24, total: 24, pairs: 12 });
		expect(page.results.round.models.map((m) => m.id).sort()).toEqual([candidate, current].sort());
		expect((await evaluationPage()).rounds.map((r) => r.id)).toEqual([roundId]);
		expect((await modelPage(candidate)).rounds.map((r) => r.id)).toEqual([roundId]);
	});

	it('answers a round id that names nothing, or is no id at all, with a 404', async () => {
		for (const id of [crypto.randomUUID(), 'not-a-round']) {
			const thrown = await thrownBy(() => roundLoad(asAdmin(`/admin/evaluation/rounds/${id}`, '/admin/evaluation/rounds/[id]', { params: { id } })));
			expect(isHttpError(thrown) && thrown.status, id).toBe(404);
		}
	});
});

describe('"Make current" on evidence', () => {
	it('refuses to promote a candidate whose verdict is not yet known until the admin confirms', async () => {
		const page = await modelPage(candidate);
		expect(page.verdict).toMatchObject({ outcome: 'not_yet_known', baseline: { id: current } });
		const refused = await makeCurrentHere(candidate);
		expect(refused).toMatchObject({ status: 400, data: { errors: { confirm: expect.stringMatching(/not yet known/) } } });
		expect(await statusOf(candidate)).toBe('candidate');
	});

	it('shows the votes as the round’s record, the leaderboard and a verdict of “better”, and then promotes at once', async () => {
		const votes = await voteFor(candidate);
		const page = await modelPage(candidate);
		expect(page.verdict).toMatchObject({ outcome: 'better', record: { wins: votes, losses: 0, votes } });
		const board = (await evaluationPage()).leaderboard;
		expect(board.ratings.map((r) => r.id)).toEqual([candidate, current]);
		expect(board.matrix).toEqual([expect.objectContaining({ a: expect.objectContaining({ id: candidate }), wins: votes })]);
		const round = (await roundLoad(asAdmin(`/admin/evaluation/rounds/${roundId}`, '/admin/evaluation/rounds/[id]', { params: { id: roundId } }))) as { results: RoundResults };
		expect(round.results.headToHead.reduce((sum, h) => sum + h.votes, 0)).toBe(votes);

		expect(await makeCurrentHere(candidate)).toMatchObject({ current: true, retired: current });
		expect(await statusOf(candidate)).toBe('current');
		const [event] = await database.db.select().from(auditEvent).where(and(eq(auditEvent.action, 'model.current'), eq(auditEvent.targetId, candidate)));
		expect(event?.details).toMatchObject({ verdict: { outcome: 'better', votes, wins: votes }, confirmed: false });
	});

	it('on the Models list too: a version with no votes is made current only with the second, confirmed submit', async () => {
		const next = await registerCandidate('policy-v9');
		const listed = (await modelsLoad(asAdmin(`/admin/models?persona=${slug}`, '/admin/models'))) as { verdicts: Record<string, string> };
		expect(listed.verdicts[next]).toBe('not_yet_known');
		const send = (fields: Record<string, string>) => modelsActions.makeCurrent!(asAdmin(`/admin/models?persona=${slug}&/makeCurrent`, '/admin/models', { form: fields }));
		expect(await send({ id: next })).toMatchObject({ status: 400, data: { errors: { confirm: expect.any(String) }, values: { id: next } } });
		expect(await statusOf(next)).toBe('candidate');
		expect(await send({ id: next, confirm: `yes\u0000` })).toMatchObject({ status: 400, data: { errors: { confirm: expect.stringMatching(/NUL/) } } });
		expect(await send({ id: next, confirm: 'yes' })).toMatchObject({ done: { current: next, retired: candidate } });
		expect(await statusOf(next)).toBe('current');
		const [event] = await database.db.select().from(auditEvent).where(and(eq(auditEvent.action, 'model.current'), eq(auditEvent.targetId, next)));
		expect(event?.details).toMatchObject({ verdict: { outcome: 'not_yet_known' }, confirmed: true });
	});

	it('starts a round of a candidate against the current model from the candidate’s page', async () => {
		const thrown = await thrownBy(() => modelActions.startRound!(asAdmin(`/admin/models/${candidate}?/startRound`, '/admin/models/[id]', { params: { id: candidate }, form: {} })));
		expect(isRedirect(thrown) && thrown.location).toMatch(/^\/admin\/evaluation\/rounds\//);
		const id = isRedirect(thrown) ? thrown.location.split('/').at(-1)! : '';
		const [round] = await database.db.select().from(evaluationRound).where(eq(evaluationRound.id, id));
		expect(round).toMatchObject({ candidateModelVersionId: candidate, promptsRequested: 12 });
		expect(await roundActions.close!(asAdmin(`/admin/evaluation/rounds/${id}?/close`, '/admin/evaluation/rounds/[id]', { params: { id }, form: {} }))).toEqual({ closed: true });
		// Closing again changes nothing and is no error.
		expect(await roundActions.close!(asAdmin(`/admin/evaluation/rounds/${id}?/close`, '/admin/evaluation/rounds/[id]', { params: { id }, form: {} }))).toEqual({ closed: true });
	});
});

describe('/admin/loop', () => {
	it('has every rated version for the chart, and no turn before a dataset version is published', async () => {
		const page = (await loopLoad(asAdmin(`/admin/loop?persona=${slug}`, '/admin/loop'))) as { turns: unknown[]; leaderboard: Leaderboard };
		expect(page.turns).toEqual([]);
		expect(page.leaderboard.ratings.map((r) => r.id).sort()).toEqual([candidate, current].sort());
	});

	it('is for admins only', async () => {
		const [someone] = await createUsers(database.db, 1, { prefix: 'eval-outsider' });
		const outsider = await sessionHelpers.signedIn(database.db, someone!.id);
		const as = (path: string) => requestEvent(`${path}?persona=${slug}`, { routeId: path, user: outsider.user, session: outsider.session });
		for (const thrown of [await thrownBy(() => loopLoad(as('/admin/loop'))), await thrownBy(() => evaluationLoad(as('/admin/evaluation')))])
			expect(isHttpError(thrown) && thrown.status).toBe(403);
	});
});
