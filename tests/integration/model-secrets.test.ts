import dns from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { count, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as models from '$lib/server/models/registry';
import { loadConfig } from '$lib/server/config';
import { modelVersion } from '$lib/server/db/schema';
import { checkAddress, parseAllowedHosts } from '$lib/server/sampling/egress';
import * as sampling from '$lib/server/sampling/jobs';
import { runSamplingJob } from '$lib/server/sampling/worker';
import * as jobs from '$lib/server/jobs/queue';
import { runNext } from '$lib/server/jobs/runner';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPrompts, createUsers } from '../support/fixtures';

// The attack: an admin (or whoever holds an admin session) names one of the
// platform's own secrets as a model's "API key variable" and points the base URL
// at a server of theirs, or at the cloud metadata service. The trap below is
// that server: it records every Authorization header it is sent.

const SECRETS = {
	DATABASE_URL: 'postgres://codelynn:db-secret-7f3a@db.internal:5432/codelynn',
	STORAGE_WEBHOOK_TOKEN: 'webhook-secret-token-9c1e5d77',
	S3_SECRET_ACCESS_KEY: 's3-secret-key-4b8e0a12'
} as const;
const MODEL_KEY = 'sk-model-key-for-the-trap-31d9';

type Trap = { baseUrl: string; seen: string[]; answer: (res: ServerResponse) => void; close(): Promise<void> };

const answerTrap = (res: ServerResponse): void => void res.writeHead(500, { 'content-type': 'text/plain' }).end('trap');

async function startTrap(): Promise<Trap> {
	const server: Server = createServer((req: IncomingMessage, res) => {
		trap.seen.push(req.headers.authorization ?? '(none)');
		req.resume().on('end', () => trap.answer(res));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	const trap: Trap = {
		baseUrl: `http://127.0.0.1:${port}/v1`,
		seen: [],
		answer: answerTrap,
		close: () => new Promise((resolve) => server.close(() => resolve()))
	};
	return trap;
}

let database: TestDatabase;
let trap: Trap;
let admin: { id: string };
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database, loadConfig({ ...process.env, MODEL_ALLOWED_KEY_VARS: 'OPS_LLM_TOKEN' }));
	admin = (await createUsers(database.db, 1, { role: 'admin' }))[0]!;
	trap = await startTrap();
	for (const [name, value] of Object.entries({ ...SECRETS, MODEL_API_KEY_TRAP: MODEL_KEY, OPS_LLM_TOKEN: MODEL_KEY })) {
		saved[name] = process.env[name];
		process.env[name] = value;
	}
});
afterAll(async () => {
	for (const [name, value] of Object.entries(saved)) {
		if (value === undefined) delete process.env[name];
		else process.env[name] = value;
	}
	await trap.close();
	await runtime.stop();
});
afterEach(() => {
	trap.seen.length = 0;
	trap.answer = answerTrap;
	vi.restoreAllMocks();
});

const actor = () => ({ id: admin.id, ip: '127.0.0.1' });
const input = (apiKeyEnv: string | null, baseUrl = trap.baseUrl): models.ModelInput => ({
	name: `trap-${crypto.randomUUID().slice(0, 8)}`,
	baseUrl,
	model: 'policy-v7',
	apiKeyEnv,
	defaultParams: {}
});
const modelRows = async () => (await database.db.select({ n: count() }).from(modelVersion))[0]!.n;
const leaked = () => trap.seen.filter((header) => Object.values(SECRETS).some((secret) => header.includes(secret)));

/** A version as it may sit in a database from before the rule: written straight into the table. */
async function legacyVersion(apiKeyEnv: string, baseUrl = trap.baseUrl): Promise<{ id: string; personaId: string }> {
	const { personaId, modelId } = await createPersonaWithPrompts(database.db, { prompts: 2, baseUrl });
	await database.db.update(modelVersion).set({ apiKeyEnv }).where(eq(modelVersion.id, modelId));
	return { id: modelId, personaId };
}

describe('the API key variable a model version may name', () => {
	it.each(Object.keys(SECRETS))('refuses %s when the form is saved, naming the rule, and writes nothing', async (name) => {
		const { personaId, id } = await legacyVersion('MODEL_API_KEY_TRAP');
		const before = await modelRows();
		await expect(models.createModel(database.db, personaId, input(name), actor())).rejects.toMatchObject({
			name: 'FieldError',
			field: 'apiKeyEnv',
			message: expect.stringMatching(/starts with MODEL_API_KEY_.*MODEL_ALLOWED_KEY_VARS/)
		});
		await expect(models.updateModel(database.db, id, input(name), actor())).rejects.toMatchObject({ field: 'apiKeyEnv' });
		expect(await modelRows()).toBe(before);
		expect((await models.getModel(database.db, id)).apiKeyEnv).toBe('MODEL_API_KEY_TRAP');
	});

	it('accepts a MODEL_API_KEY_ variable and one the operator listed, and sends that key', async () => {
		const { personaId } = await legacyVersion('MODEL_API_KEY_TRAP');
		for (const name of ['MODEL_API_KEY_TRAP', 'OPS_LLM_TOKEN']) {
			const { id } = await models.createModel(database.db, personaId, input(name), actor());
			await models.testConnection(database.db, id, { timeoutMs: 2_000 });
		}
		expect(trap.seen).toEqual([`Bearer ${MODEL_KEY}`, `Bearer ${MODEL_KEY}`]);
	});

	it('refuses a row saved before the rule at request time: test connection sends nothing and says why', async () => {
		for (const name of ['DATABASE_URL', 'STORAGE_WEBHOOK_TOKEN']) {
			const { id } = await legacyVersion(name);
			const result = await models.testConnection(database.db, id, { timeoutMs: 2_000 });
			expect(result).toEqual({ ok: false, message: expect.stringMatching(new RegExp(`${name} .*not a model key variable: nothing was sent`)) });
			expect((await models.listModels(database.db, (await models.getModel(database.db, id)).personaId))[0]).toMatchObject({ keyAllowed: false, keySet: false });
		}
		expect(trap.seen).toEqual([]);
	});

	it('refuses it in a sampling job too, and the job says why', async () => {
		const { personaId } = await legacyVersion('DATABASE_URL');
		const spec = sampling.samplingSpecSchema.parse({ selection: { limit: 10 }, strategy: { kind: 'temperatures', temperatures: [0.7, 1.1] }, maxRetries: 0 });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec, admin);
		while (await runNext(database.db, 'secrets-spec', { [sampling.SAMPLING_JOB]: runSamplingJob })) {
			/* until no job is left */
		}
		expect((await jobs.getJob(database.db, jobId))?.status).toBe('failed');
		const { recentErrors } = await sampling.samplingProgress(database.db, jobId);
		expect(recentErrors[0]?.error).toMatch(/DATABASE_URL .*not a model key variable: nothing was sent/);
		expect(trap.seen).toEqual([]);
		expect(leaked()).toEqual([]);
	});

	it('refuses the platform’s own settings in MODEL_ALLOWED_KEY_VARS at start', () => {
		for (const name of ['DATABASE_URL', 'S3_SECRET_ACCESS_KEY', 'STORAGE_WEBHOOK_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'PGPASSWORD'])
			expect(() => loadConfig({ MODEL_ALLOWED_KEY_VARS: `OPS_LLM_TOKEN, ${name}` })).toThrow(new RegExp(`MODEL_ALLOWED_KEY_VARS: ${name} holds one of the platform's own settings`));
		expect(loadConfig({ MODEL_ALLOWED_KEY_VARS: 'OPS_LLM_TOKEN, TEAM_VLLM_KEY' }).models.keyVariables).toEqual(['OPS_LLM_TOKEN', 'TEAM_VLLM_KEY']);
	});
});

describe('where model requests may go', () => {
	const metadataUrls = ['http://169.254.169.254/v1', 'http://[fd00:ec2::254]/v1', 'http://[fe80::1]/v1', 'http://[::ffff:169.254.169.254]/v1', 'http://2852039166/v1'];

	it.each(metadataUrls)('refuses %s before connecting, without retrying, and says which setting allows it', async (baseUrl) => {
		const { id } = await legacyVersion('MODEL_API_KEY_TRAP', baseUrl);
		const result = await models.testConnection(database.db, id, { timeoutMs: 5_000 });
		expect(result).toEqual({ ok: false, message: expect.stringMatching(/was not sent: ".*link-local or cloud-metadata address.*MODEL_ALLOWED_HOSTS/) });
	});

	it('refuses a name that resolves to the metadata service, checked on the address the socket would use', async () => {
		const lookup = dns.lookup;
		vi.spyOn(dns, 'lookup').mockImplementation(((host: string, options: object, callback: (...args: unknown[]) => void) =>
			host === 'metadata.google.internal'
				? callback(null, [{ address: '169.254.169.254', family: 4 }])
				: lookup(host, options as dns.LookupAllOptions, callback as never)) as never);
		const { id } = await legacyVersion('MODEL_API_KEY_TRAP', 'http://metadata.google.internal/computeMetadata/v1');
		const result = await models.testConnection(database.db, id, { timeoutMs: 5_000 });
		expect(result).toEqual({ ok: false, message: expect.stringContaining('metadata.google.internal (169.254.169.254) is a link-local or cloud-metadata address') });
	});

	it('does not follow a redirect to the metadata service', async () => {
		trap.answer = (res) => res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/?x=1' }).end();
		const { id } = await legacyVersion('MODEL_API_KEY_TRAP');
		const result = await models.testConnection(database.db, id, { timeoutMs: 2_000 });
		expect(result).toEqual({ ok: false, message: expect.stringMatching(/answered 307 \(redirect\): "redirects to http:\/\/169\.254\.169\.254\/latest\/meta-data\/iam\/security-credentials\/"/) });
		expect(trap.seen).toHaveLength(1);
	});

	it('lets the operator allow a host, an address or a range in MODEL_ALLOWED_HOSTS; loopback and private ranges need nothing', () => {
		const none = parseAllowedHosts(undefined);
		for (const address of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.9', '172.16.5.5', 'fd12::5']) expect(checkAddress(address, address, none)).toBeNull();
		const allowed = parseAllowedHosts('ollama.lan, 169.254.10.5, fe80::/64');
		expect(checkAddress('ollama.lan', '169.254.20.1', allowed)).toBeNull();
		expect(checkAddress('169.254.10.5', '169.254.10.5', allowed)).toBeNull();
		expect(checkAddress('fe80::7', 'fe80::7', allowed)).toBeNull();
		expect(checkAddress('169.254.169.254', '169.254.169.254', allowed)).not.toBeNull();
		expect(() => loadConfig({ MODEL_ALLOWED_HOSTS: 'ok.lan, http://x/' })).toThrow(/MODEL_ALLOWED_HOSTS: "http:\/\/x\/" is not a host name/);
	});
});

describe('what a failing server’s answer shows', () => {
	const junk = `DATABASE_URL=${SECRETS.DATABASE_URL}\n<html><title>admin console</title>aws_secret_access_key=AKIAjunk</html>`;

	it.each([
		['a 500 with an HTML page', 500, 'text/html', junk, /answered 500 \(server error\) with a body that is not an OpenAI error/],
		['a 401 with JSON that is not an OpenAI error', 401, 'application/json', JSON.stringify({ detail: junk, message: junk }), /answered 401 \(unauthorized\) with a body that is not an OpenAI error/],
		['a 200 that is not JSON', 200, 'text/plain', junk, /answered 200 with a body that is not a chat completion/]
	])('never echoes the bytes of %s', async (_, status, type, body, expected) => {
		trap.answer = (res) => res.writeHead(status, { 'content-type': type }).end(body);
		const { id } = await legacyVersion('MODEL_API_KEY_TRAP');
		const result = await models.testConnection(database.db, id, { timeoutMs: 2_000 });
		expect(result).toEqual({ ok: false, message: expect.stringMatching(expected) });
		expect(JSON.stringify(result)).not.toMatch(/db-secret|admin console|AKIA/);
	});

	it('shows an OpenAI error message, shortened and on one line', async () => {
		const message = `The model "x" does not exist.\nForged line ${'y'.repeat(400)}`;
		trap.answer = (res) => res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'NotFoundError', code: 404 } }));
		const { id } = await legacyVersion('MODEL_API_KEY_TRAP');
		const result = (await models.testConnection(database.db, id, { timeoutMs: 2_000 })) as { ok: false; message: string };
		expect(result.message).toContain('answered 404 (not found): "The model "x" does not exist. Forged line yyy');
		expect(result.message).not.toContain('\n');
		expect(result.message).toMatch(/y…"/);
	});
});
