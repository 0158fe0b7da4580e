import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer as streamBuffer } from 'node:stream/consumers';
import { and, eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes } from '../support/judgments';
import { startS3Server, type S3Server } from '../support/s3';
import { startKfpServer, type FakeKfpServer } from '../support/kfp-server';
import { startModelServer, type ModelServer } from '../support/openai-server';
import { requestEvent } from '../support/request-event';
import { createRunWhoseAnswerWasLost } from '../support/kfp-runs';
import * as runtime from '../../src/lib/server/runtime';
import { loadConfig, type Config } from '../../src/lib/server/config';
import { rowsOf } from '../../src/lib/server/db';
import { candidate, job, modelVersion, trainingRun } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { publishJobHandler } from '../../src/lib/server/datasets/job';
import { runNext } from '../../src/lib/server/jobs/runner';
import * as jobs from '../../src/lib/server/jobs/queue';
import { createKfpClient } from '../../src/lib/server/kubeflow/client';
import { pipelineTexts } from '../../src/lib/server/kubeflow/pipelines';
import { chainJobHandler, type ChainDeps } from '../../src/lib/server/training/chain';
import { CHAIN_JOB, runDedupeKey } from '../../src/lib/server/training/chain-key';
import { minioEventFor } from '../../src/lib/server/training/events';
import { lineageOf } from '../../src/lib/server/training/lineage';
import { outageOf } from '../../src/lib/server/training/outage';
import * as trainingAdmin from '../../src/lib/server/training/admin';
import * as models from '../../src/lib/server/models/registry';
import * as rounds from '../../src/lib/server/evaluation/rounds';
import { parseEvaluationSettings, saveEvaluationSettings } from '../../src/lib/server/evaluation/settings';
import * as sampling from '../../src/lib/server/sampling/jobs';
import { runSamplingJob } from '../../src/lib/server/sampling/worker';
import { POST as hook } from '../../src/routes/api/v1/hooks/storage/+server';
import { load as lineagePage } from '../../src/routes/admin/models/[id]/+page.server';

const TOKEN = 'storage-webhook-token-0123456789abcdef';
const KFP_TOKEN = 'projected-service-account-token';

let database: TestDatabase;
let s3: S3Server;
let kfp: FakeKfpServer;
let modelServer: ModelServer;
let config: Config;
let personaId: string;
let datasetId: string;
let admin: { id: string };
let kfpClient: ReturnType<typeof createKfpClient>;

/** The chain's dependencies as the app wires them, with a client that does not wait between retries. */
function deps(overrides: Partial<ChainDeps> = {}): ChainDeps {
	return { store: runtime.objectStore(), training: config.training, kfp: kfpClient, pipelines: pipelineTexts, ...overrides };
}

/** Publishes the next version to S3 the way the app does. */
async function publish(): Promise<versions.DatasetVersion> {
	const created = await versions.createVersion(database.db, datasetId, { id: null }, { undoSeconds: 60 });
	await runNext(database.db, 'spec', { [versions.PUBLISH_JOB]: publishJobHandler(runtime.objectStore) }, undefined, created.jobId);
	return versions.getVersion(database.db, created.id);
}

/** What MinIO would POST for the version's manifest: the stored object's size and ETag, the key escaped as Go does. */
async function announce(version: versions.DatasetVersion, sequencer: string): Promise<Response> {
	const key = `${version.objectPrefix}manifest.json`;
	const body = minioEventFor({ bucket: s3.bucket, key, size: (await runtime.objectStore().stat(key))!.bytes, eTag: 'e', sequencer, at: new Date() });
	expect(JSON.stringify(body)).toContain('datasets%2F');
	const event = requestEvent('/api/v1/hooks/storage', { method: 'POST', routeId: '/api/v1/hooks/storage' });
	const request = new Request(event.url, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}` } });
	return hook({ ...event, request } as never);
}

async function chainJob(versionId: string, chain = 1): Promise<jobs.JobRow> {
	const [found] = await database.db.select().from(job).where(eq(job.dedupeKey, `${CHAIN_JOB}:${versionId}#${chain}`));
	return found!;
}

/** Runs the chain's job until it ends, moving Kubeflow's runs one state per look. */
async function driveChain(jobId: string, chainDeps: ChainDeps = deps()): Promise<jobs.JobRow> {
	for (let step = 0; step < 40; step++) {
		await lookNow(jobId);
		await runNext(database.db, 'spec', { [CHAIN_JOB]: chainJobHandler(() => chainDeps) }, undefined, jobId);
		const now = (await jobs.getJob(database.db, jobId))!;
		if (now.status !== 'queued') return now;
		kfp.advance();
		await new Promise((resolve) => setTimeout(resolve, config.training.pollMs + 10));
	}
	throw new Error('the chain did not finish in 40 steps');
}

/** The wait the job asked for is over: it runs at the next claim. */
async function lookNow(jobId: string): Promise<void> {
	await database.db.update(job).set({ runAfter: sql`now()` }).where(eq(job.id, jobId));
}

async function runsOf(versionId: string) {
	return database.db.select().from(trainingRun).where(eq(trainingRun.datasetVersionId, versionId)).orderBy(trainingRun.createdAt);
}

beforeAll(async () => {
	database = await createTestDatabase();
	s3 = await startS3Server({ bucket: 'rlhf-datasets' });
	kfp = await startKfpServer({ token: KFP_TOKEN, multiUser: true });
	modelServer = await startModelServer();
	const tokenFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'kfp-token-')), 'token');
	writeFileSync(tokenFile, KFP_TOKEN);
	config = loadConfig({
		...process.env,
		S3_BUCKET: s3.bucket,
		S3_ENDPOINT: s3.endpoint,
		S3_FORCE_PATH_STYLE: 'true',
		S3_ACCESS_KEY_ID: 'S3RVER',
		S3_SECRET_ACCESS_KEY: 'S3RVER',
		STORAGE_WEBHOOK_TOKEN: TOKEN,
		KFP_ENDPOINT: kfp.endpoint,
		KFP_NAMESPACE: 'lynn-team',
		KFP_TOKEN_FILE: tokenFile,
		KFP_POLL_SECONDS: '0.05',
		TRAINING_RM_PARAMS: '{"num_epochs": 2}',
		// the "KServe" that will serve the trained policy is the test model server
		SERVING_URL_TEMPLATE: modelServer.baseUrl
	});
	runtime.useDatabase(database, config);
	const kfpSettings = config.training.kfp!;
	kfpClient = createKfpClient({ ...kfpSettings, timeoutMs: 300, retries: 2, sleep: async () => {} });
	personaId = (await createPersonaWithPairs(database.db, { pairs: 12, overlap: 1, slug: 'lynn-loop' })).personaId;
	admin = (await createUsers(database.db, 1, { role: 'admin' }))[0]!;
	const pairs = rowsOf<{ id: string }>(await database.db.execute(sql`select id from pair where persona_id = ${personaId} order by created_at`));
	await addVotes(database.db, pairs.slice(0, 8).map((p, i) => ({ pairId: p.id, annotatorId: admin!.id, choice: i % 3 ? 'a' : 'b', strength: 1 + (i % 4) })));
	datasetId = (await definitions.createDataset(database.db, personaId, { name: 'Lynn prefs', slug: 'lynn-prefs', description: '', spec: defaultSpec() }, { id: null })).id;
});

afterAll(async () => {
	await modelServer?.close();
	await kfp?.stop();
	await s3?.stop();
	await database?.close();
});

describe('the training loop', () => {
	it('goes from a published version to a promoted model that sampling uses', async () => {
		const version = await publish();
		expect(version.status).toBe('published');
		expect((await (await announce(version, 'A1')).json()).results[0].outcome).toBe('accepted');
		const chain = await chainJob(version.id);

		// the manifest is never downloaded again: its SHA-256 was recorded when it was written (checked against the stored bytes below)
		let manifestReads = 0;
		const store = runtime.objectStore();
		const counting = { ...store, get: (key: string) => (key.endsWith('manifest.json') && manifestReads++, store.get(key)) };
		const finished = await driveChain(chain.id, deps({ store: counting }));
		expect(manifestReads).toBe(0);
		expect(finished.status).toBe('succeeded');
		const [rm, ppo] = await runsOf(version.id);
		expect([rm!.kind, rm!.state, ppo!.kind, ppo!.state]).toEqual(['reward_model', 'SUCCEEDED', 'ppo', 'SUCCEEDED']);
		expect(rm!.stateHistory.map((h) => h.state)).toEqual(['SUBMITTING', 'PENDING', 'RUNNING', 'SUCCEEDED']);

		// what Kubeflow was asked: the version in S3, the manifest's own hash, settings on top of defaults
		const manifest = await streamBuffer(await runtime.objectStore().get(`${version.objectPrefix}manifest.json`));
		const creates = kfp.requests.filter((r) => r.method === 'POST' && r.path === '/apis/v2beta1/runs');
		expect(creates).toHaveLength(2);
		expect(creates[0]!.headers.authorization).toBe(`Bearer ${KFP_TOKEN}`);
		expect(creates[0]!.body).toMatchObject({
			description: runDedupeKey(version.id, 1, 'reward_model'),
			experiment_id: rm!.experimentId,
			runtime_config: {
				parameters: {
					dataset_uri: `s3://rlhf-datasets/${version.objectPrefix}`,
					manifest_sha256: createHash('sha256').update(manifest).digest('hex'),
					base_model: config.training.baseModel,
					use_margin: true,
					num_epochs: 2
				}
			}
		});
		expect((creates[1]!.body as { runtime_config: { parameters: Record<string, unknown> } }).runtime_config.parameters).toMatchObject({
			reward_model_uri: rm!.parameters.output_uri,
			policy_model: config.training.baseModel, // the current model is the demo pool: PPO starts from the base model
			served_model_name: 'lynn-loop-lynn-prefs-v1'
		});
		expect(ppo!.parentRunId).toBe(rm!.id);

		// the trained policy, registered as a candidate with its lineage
		const [trained] = await database.db.select().from(modelVersion).where(eq(modelVersion.trainingRunId, ppo!.id));
		expect(trained).toMatchObject({ name: 'lynn-loop-lynn-prefs-v1', status: 'candidate', baseUrl: modelServer.baseUrl, model: 'lynn-loop-lynn-prefs-v1' });
		const lineage = await lineageOf(database.db, trained!.id);
		expect(lineage.rewardModel!.id).toBe(rm!.id);
		expect(lineage.datasetVersion).toMatchObject({ id: version.id, version: 1, datasetSlug: 'lynn-prefs' });
		expect(lineage.judgments).toMatchObject({ total: 8, annotators: 1 });
		// the lineage page shows the same, from the model back to its votes
		const page = (await lineagePage(
			requestEvent(`/admin/models/${trained!.id}`, {
				user: { id: admin.id, email: 'admin@example.com', displayName: 'Admin', role: 'admin' },
				routeId: '/admin/models/[id]',
				params: { id: trained!.id }
			}) as never
		)) as Record<string, unknown>;
		expect(page).toMatchObject({
			model: { name: 'lynn-loop-lynn-prefs-v1', status: 'candidate' },
			ppo: expect.objectContaining({ state: 'SUCCEEDED' }),
			rewardModel: expect.objectContaining({ state: 'SUCCEEDED' }),
			datasetVersion: expect.objectContaining({ version: 1 }),
			judgments: expect.objectContaining({ total: 8 })
		});

		// promoted, and the next sampling job asks it for replies
		await models.makeCurrent(database.db, trained!.id, { id: admin.id });
		const { jobId } = await sampling.createSamplingJob(
			database.db,
			personaId,
			sampling.samplingSpecSchema.parse({ selection: { limit: 2 }, strategy: { kind: 'temperatures', temperatures: [0.2, 1] } }),
			admin
		);
		await runNext(database.db, 'spec', { [sampling.SAMPLING_JOB]: runSamplingJob }, undefined, jobId);
		const sampled = await database.db.select().from(candidate).where(and(eq(candidate.modelVersionId, trained!.id), eq(candidate.source, 'sampled')));
		expect(sampled).toHaveLength(4);
		expect(modelServer.requests.every((r) => r.body.model === 'lynn-loop-lynn-prefs-v1')).toBe(true);
	});

	it('keeps to one chain when the delivery comes again after the chain is done', async () => {
		const [version] = (await versions.listVersions(database.db, datasetId)).filter((v) => v.version === 1);
		const again = await (await announce((await versions.getVersion(database.db, version!.id)), 'A1')).json();
		expect(again.results[0].outcome).toBe('duplicate');
		expect(await runsOf(version!.id)).toHaveLength(2);
	});

	it('stops the chain, visibly, when the reward-model run fails', async () => {
		kfp.outcomeFor('codelynn-reward-model', { state: 'FAILED', message: 'CUDA out of memory in trl reward' });
		const version = await publish();
		await announce(version, 'B1');
		const finished = await driveChain((await chainJob(version.id)).id);
		expect(finished.status).toBe('failed');
		expect(finished.lastError).toMatch(/reward-model run ended FAILED: .*CUDA out of memory/);
		const runs = await runsOf(version.id);
		expect(runs.map((r) => [r.kind, r.state])).toEqual([['reward_model', 'FAILED']]);
		expect(runs[0]!.error).toMatch(/CUDA out of memory/);
		kfp.outcomeFor('codelynn-reward-model', { state: 'SUCCEEDED' });

		// an admin retries it in Kubeflow; the chain follows it to the end
		await trainingAdmin.retryRun(database.db, kfpClient, runs[0]!.id, { id: admin.id });
		expect((await driveChain((await chainJob(version.id)).id)).status).toBe('succeeded');
		expect((await runsOf(version.id)).map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
	});

	it('rides out Kubeflow’s 5xx answers and timeouts while submitting, and stops at a refusal with the server’s message', async () => {
		const version = await publish();
		await announce(version, 'C1');
		const chain = await chainJob(version.id);
		const look = async () => {
			await lookNow(chain.id);
			await runNext(database.db, 'spec', { [CHAIN_JOB]: chainJobHandler(() => deps()) }, undefined, chain.id);
			return (await jobs.getJob(database.db, chain.id))!;
		};
		// three looks, three requests each, all answered 503: the run waits to be submitted, the chain says since when
		kfp.failNext(9, 503);
		let waiting = await look();
		for (let i = 0; i < 2; i++) waiting = await look();
		expect(waiting.status).toBe('queued');
		expect(outageOf(waiting.progress)).toMatchObject({ looks: 3, error: expect.stringMatching(/HTTP 503/) });
		const [rm] = await runsOf(version.id);
		expect(rm).toMatchObject({ state: 'SUBMITTING', kfpRunId: null });
		expect(rm!.error).toMatch(/Kubeflow unreachable while submitting: .*HTTP 503/);
		// then no answer at all
		kfp.hangNext(3);
		expect(outageOf((await look()).progress)).toMatchObject({ looks: 4, error: expect.stringMatching(/no answer within 300 ms/) });
		// Kubeflow is back: the chain goes on as if nothing happened, and forgets the outage
		const done = await driveChain(chain.id);
		expect(done.status).toBe('succeeded');
		expect(outageOf(done.progress)).toBeNull();
		expect((await runsOf(version.id)).map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);

		// a refusal is not an outage: a token Kubeflow no longer takes stops the submission at once
		const next = await publish();
		await announce(next, 'C2');
		kfp.setToken('rotated-elsewhere');
		const failed = await driveChain((await chainJob(next.id)).id);
		expect(failed.status).toBe('failed');
		const [refused] = await runsOf(next.id);
		expect(refused).toMatchObject({ state: 'SUBMIT_FAILED' });
		expect(refused!.error).toMatch(/HTTP 401/);
		expect(failed.lastError).toMatch(/ended SUBMIT_FAILED: .*401/);
		kfp.setToken(KFP_TOKEN);
		await trainingAdmin.retryRun(database.db, kfpClient, refused!.id, { id: admin.id });
		expect((await driveChain((await chainJob(next.id)).id)).status).toBe('succeeded');
	});

	it('finds a run created just before a crash by its dedupe key instead of creating another', async () => {
		const version = await publish();
		await announce(version, 'D1');
		const chain = await chainJob(version.id);
		// the first attempt created the KFP run, then the worker died before recording its id
		const orphan = await createRunWhoseAnswerWasLost(kfpClient, 'lynn-loop', version.id);
		await database.db.insert(trainingRun).values({ datasetVersionId: version.id, kind: 'reward_model', chainKey: `${version.id}#1`, state: 'SUBMITTING', parameters: {} });
		const before = kfp.requests.filter((r) => r.method === 'POST' && r.path === '/apis/v2beta1/runs').length;
		expect((await driveChain(chain.id)).status).toBe('succeeded');
		const [rm] = await runsOf(version.id);
		expect(rm!.kfpRunId).toBe(orphan.run_id);
		// only the PPO run was created
		expect(kfp.requests.filter((r) => r.method === 'POST' && r.path === '/apis/v2beta1/runs').length).toBe(before + 1);
	});

	it('records the exact request and sends nothing when Kubeflow is not configured', async () => {
		const version = await publish();
		await announce(version, 'E1');
		const before = kfp.requests.length;
		const finished = await driveChain((await chainJob(version.id)).id, deps({ kfp: null }));
		expect(finished.status).toBe('succeeded');
		const [rm] = await runsOf(version.id);
		expect(rm).toMatchObject({ state: 'NOT_CONFIGURED', kfpRunId: null });
		expect(rm!.request).toMatchObject({
			description: runDedupeKey(version.id, 1, 'reward_model'),
			runtime_config: { parameters: { dataset_uri: `s3://rlhf-datasets/${version.objectPrefix}` } }
		});
		expect(kfp.requests.length).toBe(before);
	});

	it('lets an admin train a version again as a new chain', async () => {
		const [first] = (await versions.listVersions(database.db, datasetId)).filter((v) => v.version === 1);
		const { chain } = await trainingAdmin.rerunChain(database.db, first!.id, { id: admin.id });
		expect(chain).toBe(2);
		expect((await driveChain((await chainJob(first!.id, 2)).id)).status).toBe('succeeded');
		const models2 = await database.db.select({ name: modelVersion.name }).from(modelVersion).where(eq(modelVersion.personaId, personaId));
		expect(models2.map((m) => m.name)).toContain('lynn-loop-lynn-prefs-v1-r2');
	});

	it('starts one evaluation round per candidate it registers when the persona asks for one', async () => {
		await saveEvaluationSettings(database.db, personaId, parseEvaluationSettings({ roundOnCandidate: true }));
		// half the prompts held out, so the candidate's test split has prompts to draw
		const spec = { ...defaultSpec(), split: { testPercent: 50, seed: 'evaluation' } };
		const held = (await definitions.createDataset(database.db, personaId, { name: 'Lynn held out', slug: 'lynn-held-out', description: '', spec }, { id: null })).id;
		const created = await versions.createVersion(database.db, held, { id: null }, { undoSeconds: 60 });
		await runNext(database.db, 'spec', { [versions.PUBLISH_JOB]: publishJobHandler(runtime.objectStore) }, undefined, created.jobId);
		const version = await versions.getVersion(database.db, created.id);
		await announce(version, 'E1');
		const finished = await driveChain((await chainJob(version.id)).id);
		expect(finished.status).toBe('succeeded');
		const trained = String(finished.progress.modelVersionId);
		const [current] = await database.db.select().from(modelVersion).where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.status, 'current')));
		const [round] = await rounds.roundsOf(database.db, trained);
		expect(round).toMatchObject({ source: 'chain', candidate: { id: trained }, baseline: { id: current!.id }, promptSource: 'test_split', datasetVersion: { id: version.id } });
		expect(finished.progress.evaluationRoundId).toBe(round!.id);
		// a retried step finds the round it made
		expect(await rounds.startRoundForCandidate(database.db, trained)).toEqual({ roundId: round!.id });
		expect(await rounds.roundOnCandidate(database.db, trained)).toEqual({ evaluationRoundId: round!.id });
		expect(await rounds.roundsOf(database.db, trained)).toHaveLength(1);
	});
});
