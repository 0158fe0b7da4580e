import { isHttpError } from '@sveltejs/kit';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as models from '$lib/server/models/registry';
import * as accounts from '$lib/server/users/accounts';
import { auditEvent, candidate, modelVersion, persona, prompt, type Role } from '$lib/server/db/schema';
import { actions, load } from '../../src/routes/admin/models/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startModelServer, type ModelServer } from '../support/openai-server';
import { requestEvent, thrownBy } from '../support/request-event';
import * as sessionHelpers from '../support/sessions';

const SYSTEM_PROMPT = 'You are Lynn: warm, exact, never more than three sentences.';
const KEY_VARIABLE = 'MODEL_API_KEY_MODELS_SPEC';
const SECRET = 'sk-models-spec-0123456789abcdef';

let database: TestDatabase;
let server: ModelServer;
let admin: sessionHelpers.SignedIn;
let annotator: sessionHelpers.SignedIn;
const actor = { id: null as string | null, ip: '127.0.0.1' };

async function newPersona(slug: string): Promise<{ id: string; slug: string }> {
	const [created] = await database.db
		.insert(persona)
		.values({ slug, name: slug, styleGuide: 'Sound like Lynn.', systemPrompt: SYSTEM_PROMPT })
		.returning({ id: persona.id, slug: persona.slug });
	return created!;
}

async function member(email: string, role: Role): Promise<sessionHelpers.SignedIn> {
	const created = await accounts.createUser(database.db, { email, displayName: role, role, password: 'correct horse battery' }, { id: null });
	return sessionHelpers.signedIn(database.db, created.id);
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	server = await startModelServer();
	admin = await member('admin@models.test', 'admin');
	annotator = await member('ann@models.test', 'annotator');
	actor.id = admin.user.id;
});

afterAll(async () => {
	await server.close();
	await runtime.stop();
});

beforeEach(() => {
	server.setOptions({ hang: false, requireKey: undefined, malformed: false, latencyMs: 0 });
	server.requests.length = 0;
});

const savedKey = process.env[KEY_VARIABLE];
afterEach(() => {
	if (savedKey === undefined) delete process.env[KEY_VARIABLE];
	else process.env[KEY_VARIABLE] = savedKey;
});

/** A complete, valid create form; `changes` replaces fields. */
function fields(changes: Record<string, string> = {}): Record<string, string> {
	return {
		name: `policy-${crypto.randomUUID().slice(0, 8)}`,
		baseUrl: server.baseUrl,
		model: 'policy-v7',
		apiKeyEnv: '',
		temperature: '0.7',
		top_p: '0.95',
		max_tokens: '256',
		seed: '7',
		...changes
	};
}

function parsed(changes: Record<string, string> = {}): models.ModelInput {
	return models.modelInputSchema.parse(fields(changes));
}

async function register(personaId: string, changes: Record<string, string> = {}): Promise<string> {
	return (await models.createModel(database.db, personaId, parsed(changes), actor)).id;
}

async function statusOf(id: string): Promise<string | undefined> {
	return (await database.db.select({ status: modelVersion.status }).from(modelVersion).where(eq(modelVersion.id, id)))[0]?.status;
}

async function currentCount(personaId: string): Promise<number> {
	const [row] = await database.db
		.select({ n: count() })
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.status, 'current')));
	return row?.n ?? 0;
}

/** Rows in the tables these actions write, to prove a refusal wrote nothing. */
async function writes(): Promise<number[]> {
	return Promise.all([modelVersion, auditEvent].map(async (table) => (await database.db.select({ n: count() }).from(table))[0]?.n ?? 0));
}

function post(action: string, slug: string, form: Record<string, string>, as: sessionHelpers.SignedIn | null = admin) {
	return requestEvent(`/admin/models?/${action}&persona=${slug}`, {
		form,
		routeId: '/admin/models',
		user: as?.user ?? null,
		session: as?.session ?? null
	});
}

/** What a failed action answered: its status and field messages. */
function refusal(answer: unknown): { status: number; errors: Record<string, string>; values: Record<string, string> } {
	const failure = answer as { status: number; data: { errors: Record<string, string>; values: Record<string, string> } };
	return { status: failure.status, errors: failure.data?.errors, values: failure.data?.values };
}

describe('registering a model version', () => {
	let lynn: { id: string; slug: string };
	beforeAll(async () => {
		lynn = await newPersona('models-create');
	});

	it('stores the endpoint as a candidate with the form default params, and audits it', async () => {
		const answer = (await actions.create!(post('create', lynn.slug, fields({ name: 'policy-v7', apiKeyEnv: 'MODEL_API_KEY_VLLM' })))) as {
			done: { created: string };
		};
		const [row] = await database.db.select().from(modelVersion).where(eq(modelVersion.id, answer.done.created));
		expect(row).toMatchObject({
			personaId: lynn.id,
			name: 'policy-v7',
			kind: 'endpoint',
			status: 'candidate',
			baseUrl: server.baseUrl,
			model: 'policy-v7',
			apiKeyEnv: 'MODEL_API_KEY_VLLM',
			defaultParams: { temperature: 0.7, top_p: 0.95, max_tokens: 256, seed: 7 }
		});
		const [audited] = await database.db.select().from(auditEvent).where(eq(auditEvent.targetId, answer.done.created));
		expect(audited).toMatchObject({ action: 'model.create', actorId: admin.user.id, targetType: 'model_version' });
	});

	it('leaves empty parameters unset (the server default) and trims a trailing slash off the URL', async () => {
		const input = parsed({ baseUrl: `${server.baseUrl}/`, temperature: '', top_p: ' ', max_tokens: '', seed: '', apiKeyEnv: '' });
		expect(input).toMatchObject({ baseUrl: server.baseUrl, apiKeyEnv: null, defaultParams: {} });
	});

	it.each([
		['name', '', /Enter a name/],
		['name', 'n'.repeat(101), /at most 100/],
		['baseUrl', '', /Enter the base URL/],
		['baseUrl', 'vllm:8000/v1', /http:\/\/ or https:\/\//],
		['baseUrl', 'ftp://models.example/v1', /http:\/\/ or https:\/\//],
		['baseUrl', 'https://admin:hunter2@vllm.example/v1', /user:password/],
		['model', '', /model name/],
		['model', 'm'.repeat(201), /at most 200/],
		['apiKeyEnv', 'sk-live-abc123', /environment variable/],
		['apiKeyEnv', '1_KEY', /environment variable/],
		['apiKeyEnv', 'DATABASE_URL', /not a model key variable: use a name that starts with MODEL_API_KEY_/],
		['apiKeyEnv', 'S3_SECRET_ACCESS_KEY', /MODEL_ALLOWED_KEY_VARS/],
		['temperature', '2.5', /0–2/],
		['temperature', 'warm', /as a number/],
		['top_p', '0', /more than 0/],
		['top_p', '1.2', /at most 1/],
		['max_tokens', '0', /1–32768/],
		['max_tokens', '40000', /1–32768/],
		['max_tokens', '12.5', /whole number/],
		['seed', '-1', /0–4294967295/],
		['seed', '1.5', /whole number/]
	])('refuses %s = %j with a message on that field, writing nothing', async (field, value, message) => {
		const before = await writes();
		const answer = refusal(await actions.create!(post('create', lynn.slug, fields({ [field]: value }))));
		expect(answer.status).toBe(400);
		expect(Object.keys(answer.errors)).toEqual([field]);
		expect(answer.errors[field]).toMatch(message);
		expect(await writes()).toEqual(before);
	});

	it('never echoes what may be a pasted key: user-info in the URL, a "variable name" that is not one', async () => {
		const answer = refusal(
			await actions.create!(post('create', lynn.slug, fields({ baseUrl: 'https://admin:hunter2@vllm.example/v1', apiKeyEnv: SECRET })))
		);
		expect(answer.values.baseUrl).toBe('https://vllm.example/v1');
		expect(answer.values.apiKeyEnv).toBe('');
		expect(JSON.stringify(answer)).not.toMatch(/hunter2|sk-models-spec/);
	});

	it('refuses a name the persona already uses, on the name field; another persona may use it', async () => {
		const other = await newPersona('models-create-other');
		await register(lynn.id, { name: 'shared-name' });
		const before = await writes();
		const answer = refusal(await actions.create!(post('create', lynn.slug, fields({ name: 'shared-name' }))));
		expect(answer).toMatchObject({ status: 400, errors: { name: expect.stringMatching(/already has/) } });
		expect(await writes()).toEqual(before);
		await expect(register(other.id, { name: 'shared-name' })).resolves.toBeTypeOf('string');
	});
});

describe('current, retired and previous', () => {
	it('keeps exactly one current version; the one before is retired and becomes "previous"', async () => {
		const { id: personaId } = await newPersona('models-current');
		const [pool] = await database.db
			.insert(modelVersion)
			.values({ personaId, name: 'demo-pool', kind: 'demo_pool', status: 'current' })
			.returning({ id: modelVersion.id });
		const v1 = await register(personaId, { name: 'v1' });
		const v2 = await register(personaId, { name: 'v2' });

		expect(await models.makeCurrent(database.db, v1, actor)).toEqual({ retired: pool!.id });
		// The demo pool is retired too, but it is no model to compare with.
		expect(await models.previousVersion(database.db, personaId)).toBeNull();

		await models.makeCurrent(database.db, v2, actor);
		expect([await statusOf(v1), await statusOf(v2), await currentCount(personaId)]).toEqual(['retired', 'current', 1]);
		expect((await models.previousVersion(database.db, personaId))?.id).toBe(v1);

		const v3 = await register(personaId, { name: 'v3' });
		await models.makeCurrent(database.db, v3, actor);
		expect((await models.previousVersion(database.db, personaId))?.id).toBe(v2);
		expect(await currentCount(personaId)).toBe(1);

		const audited = await database.db.select().from(auditEvent).where(and(eq(auditEvent.action, 'model.current'), eq(auditEvent.targetId, v3)));
		expect(audited[0]?.details).toMatchObject({ name: 'v3', from: 'candidate', retired: v2 });
	});

	it('promotes a current version again as a no-op, and promotions at the same moment queue up and leave one current', async () => {
		const { id: personaId } = await newPersona('models-race');
		const versions = [await register(personaId), await register(personaId), await register(personaId)];
		await Promise.all(versions.map((id) => models.makeCurrent(database.db, id, actor)));
		const statuses = await Promise.all(versions.map(statusOf));
		expect(statuses.filter((s) => s === 'current')).toHaveLength(1);
		expect(statuses.filter((s) => s === 'retired')).toHaveLength(2);
		const current = versions[statuses.indexOf('current')]!;
		expect(await models.makeCurrent(database.db, current, actor)).toEqual({ retired: null });
		expect(await statusOf(current)).toBe('current');
	});

	it('refuses to retire the current version until another is current; retires a candidate once', async () => {
		const { id: personaId, slug } = await newPersona('models-retire');
		const [current, spare] = [await register(personaId), await register(personaId)];
		await models.makeCurrent(database.db, current, actor);
		await expect(models.retire(database.db, current, actor)).rejects.toMatchObject({ name: 'FieldError', field: 'status' });

		const before = await writes();
		const answer = refusal(await actions.retire!(post('retire', slug, { id: current })));
		expect(answer).toMatchObject({ status: 400, errors: { status: expect.stringMatching(/make another one current first/) }, values: { action: 'retire', id: current } });
		expect([await statusOf(current), await writes()]).toEqual(['current', before]);

		expect(await actions.retire!(post('retire', slug, { id: spare }))).toMatchObject({ done: { retired: spare } });
		await models.retire(database.db, spare, actor);
		expect(await statusOf(spare)).toBe('retired');
		expect(await database.db.select({ n: count() }).from(auditEvent).where(and(eq(auditEvent.action, 'model.retire'), eq(auditEvent.targetId, spare)))).toEqual([{ n: 1 }]);
	});
});

describe('editing a version', () => {
	it('changes the endpoint, refuses the demo pool, a taken name, and a new model once replies were sampled', async () => {
		const { id: personaId, slug } = await newPersona('models-edit');
		const id = await register(personaId, { name: 'edit-me', model: 'policy-v7' });
		await register(personaId, { name: 'taken' });
		const [pool] = await database.db.insert(modelVersion).values({ personaId, name: 'demo-pool', kind: 'demo_pool' }).returning({ id: modelVersion.id });

		await models.updateModel(database.db, id, parsed({ name: 'edited', baseUrl: 'https://vllm.example/v1', temperature: '' }), actor);
		const [row] = await database.db.select().from(modelVersion).where(eq(modelVersion.id, id));
		expect(row).toMatchObject({ name: 'edited', baseUrl: 'https://vllm.example/v1', defaultParams: { top_p: 0.95, max_tokens: 256, seed: 7 } });

		const before = await writes();
		expect(refusal(await actions.update!(post('update', slug, { id, ...fields({ name: 'taken' }) })))).toMatchObject({ status: 400, errors: { name: expect.any(String) } });
		expect(refusal(await actions.update!(post('update', slug, { id: pool!.id, ...fields() })))).toMatchObject({ status: 400, errors: { form: expect.stringMatching(/read-only/) } });
		expect(refusal(await actions.update!(post('update', slug, { ...fields() })))).toMatchObject({ status: 400, errors: { id: expect.any(String) } });

		const [question] = await database.db
			.insert(prompt)
			.values({ personaId, messages: [{ role: 'user', content: 'Hi?' }], domain: 'chat', source: 'spec', contentHash: 'models-edit-1' })
			.returning({ id: prompt.id });
		await database.db.insert(candidate).values({ promptId: question!.id, modelVersionId: id, text: 'Hello.', source: 'sampled' });
		expect(refusal(await actions.update!(post('update', slug, { id, ...fields({ name: 'edited', model: 'policy-v8' }) })))).toMatchObject({
			status: 400,
			errors: { model: expect.stringMatching(/new version/) }
		});
		expect(await writes()).toEqual(before);
		// The URL of a sampled version may still move.
		expect(await actions.update!(post('update', slug, { id, ...fields({ name: 'edited', model: 'policy-v7', baseUrl: server.baseUrl }) }))).toMatchObject({ done: { updated: id } });
	});
});

describe('testing the connection', () => {
	let personaId: string;
	let slug: string;
	beforeAll(async () => {
		({ id: personaId, slug } = await newPersona('models-test'));
	});

	it('asks once with the persona system prompt and the key from the named variable, and shows the answer', async () => {
		process.env[KEY_VARIABLE] = SECRET;
		server.setOptions({ requireKey: SECRET });
		const id = await register(personaId, { apiKeyEnv: KEY_VARIABLE });
		const result = await models.testConnection(database.db, id);
		expect(result).toMatchObject({ ok: true, text: expect.stringMatching(/\w/), latencyMs: expect.any(Number), finishReason: 'stop' });
		expect(server.requests).toHaveLength(1);
		const [sent] = server.requests;
		expect(sent!.headers.authorization).toBe(`Bearer ${SECRET}`);
		expect(sent!.body).toMatchObject({
			model: 'policy-v7',
			messages: [
				{ role: 'system', content: SYSTEM_PROMPT },
				{ role: 'user', content: models.CONNECTION_TEST_MESSAGE }
			],
			max_tokens: 64,
			temperature: 0.7
		});
	});

	it('answers the server error when the key is refused, without retrying', async () => {
		server.setOptions({ requireKey: SECRET });
		const id = await register(personaId);
		const result = await models.testConnection(database.db, id);
		expect(result).toEqual({ ok: false, message: expect.stringMatching(/401.*Unauthorized: missing or invalid API key/) });
		expect(server.requests).toHaveLength(1);
	});

	it('answers a timeout when the server never replies', async () => {
		server.setOptions({ hang: true });
		const id = await register(personaId);
		const result = await models.testConnection(database.db, id, { timeoutMs: 150 });
		expect(result).toEqual({ ok: false, message: expect.stringMatching(/did not answer within 150 ms/) });
	});

	it('names the variable when it is not set, and sends nothing', async () => {
		delete process.env[KEY_VARIABLE];
		const id = await register(personaId, { apiKeyEnv: KEY_VARIABLE });
		const result = await models.testConnection(database.db, id);
		expect(result).toEqual({ ok: false, message: expect.stringContaining(`environment variable ${KEY_VARIABLE}`) });
		expect(() => models.endpointOf({ name: 'x', kind: 'endpoint', baseUrl: server.baseUrl, model: 'm', apiKeyEnv: KEY_VARIABLE })).toThrow(KEY_VARIABLE);
		expect(server.requests).toHaveLength(0);
	});

	it('shows the answer (or the error) for that row through the test action', async () => {
		const id = await register(personaId);
		expect(await actions.test!(post('test', slug, { id }))).toMatchObject({ values: { action: 'test', id }, done: { tested: { id, ok: true } } });
		server.setOptions({ malformed: true });
		expect(await actions.test!(post('test', slug, { id }))).toMatchObject({ done: { tested: { id, ok: false, message: expect.stringMatching(/not a chat completion/) } } });
		expect(refusal(await actions.test!(post('test', slug, { id: 'not-an-id' })))).toMatchObject({ status: 400, errors: { id: expect.any(String) } });
	});
});

describe('the API key', () => {
	it('appears in no answer, page data, model row or audit row; only its variable name and whether it is set', async () => {
		process.env[KEY_VARIABLE] = SECRET;
		server.setOptions({ requireKey: SECRET });
		const { id: personaId, slug } = await newPersona('models-secret');
		const created = (await actions.create!(post('create', slug, fields({ apiKeyEnv: KEY_VARIABLE })))) as { done: { created: string } };
		const id = created.done.created;
		const answers = [
			created,
			await actions.test!(post('test', slug, { id })),
			await actions.update!(post('update', slug, { id, ...fields({ name: 'renamed', apiKeyEnv: KEY_VARIABLE }) })),
			await actions.makeCurrent!(post('makeCurrent', slug, { id })),
			await load(requestEvent(`/admin/models?persona=${slug}`, { routeId: '/admin/models', user: admin.user, session: admin.session })),
			await models.listModels(database.db, personaId),
			await database.db.select().from(modelVersion),
			await database.db.select().from(auditEvent)
		];
		expect(answers[1]).toMatchObject({ done: { tested: { ok: true } } });
		expect((answers[5] as models.ModelRow[])[0]).toMatchObject({ apiKeyEnv: KEY_VARIABLE, keySet: true });
		expect(JSON.stringify(answers)).not.toContain(SECRET);

		delete process.env[KEY_VARIABLE];
		expect((await models.listModels(database.db, personaId))[0]).toMatchObject({ keySet: false });
	});
});

describe('the page', () => {
	it('lists the persona versions, current first, and lets only admins in', async () => {
		const { id: personaId, slug } = await newPersona('models-page');
		const older = await register(personaId, { name: 'older' });
		await register(personaId, { name: 'newer' });
		await models.makeCurrent(database.db, older, actor);
		const data = (await load(requestEvent(`/admin/models?persona=${slug}`, { routeId: '/admin/models', user: admin.user, session: admin.session }))) as {
			models: models.ModelRow[];
		};
		expect(data.models.map((m) => [m.name, m.status, m.keySet])).toEqual([
			['older', 'current', null],
			['newer', 'candidate', null]
		]);

		for (const action of ['create', 'update', 'test', 'makeCurrent', 'retire'] as const) {
			const thrown = await thrownBy(() => actions[action]!(post(action, slug, { id: older }, annotator)));
			expect(isHttpError(thrown) && thrown.status, action).toBe(403);
			expect(await thrownBy(() => actions[action]!(post(action, slug, {}, null)))).toMatchObject({ status: 303 });
		}
		expect(await statusOf(older)).toBe('current');
		expect(await thrownBy(() => load(requestEvent('/admin/models?persona=nobody', { routeId: '/admin/models', user: admin.user, session: admin.session })))).toMatchObject({ status: 404 });
	});
});
