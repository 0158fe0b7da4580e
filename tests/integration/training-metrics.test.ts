import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes, type VoteFixture } from '../support/judgments';
import { startS3Server, type S3Server } from '../support/s3';
import { startKfpServer, type FakeKfpServer } from '../support/kfp-server';
import { requestEvent } from '../support/request-event';
import { chainDriver, type ChainDriver } from '../support/training-chain';
import * as runtime from '../../src/lib/server/runtime';
import { loadConfig, type Config } from '../../src/lib/server/config';
import { rowsOf } from '../../src/lib/server/db';
import { modelVersion, trainingRun } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import type { DatasetVersion } from '../../src/lib/server/datasets/versions';
import { createKfpClient } from '../../src/lib/server/kubeflow/client';
import * as models from '../../src/lib/server/models/registry';
import { createLocalStore, createS3Store, type ObjectStore } from '../../src/lib/server/storage';
import { keyOf } from '../../src/lib/server/training/metrics';
import { loopOf } from '../../src/lib/server/training/loop';
import { runMetricsOf, type MetricsView } from '../../src/lib/server/training/run-metrics';
import { load as lineagePage } from '../../src/routes/admin/models/[id]/+page.server';

const TOKEN = 'storage-webhook-token-0123456789abcdef';

let database: TestDatabase;
let s3: S3Server;
let kfp: FakeKfpServer;
let config: Config;
let chains: ChainDriver;
let admin: { id: string };
let datasetId: string;

/** What the next run of each pipeline writes as codelynn-metrics.json: a file, raw text, or nothing. */
const next: { reward_model: object | string | null; ppo: object | string | null } = { reward_model: null, ppo: null };

const rewardModelFile = (accuracy: number) => ({
	format: 'codelynn-metrics/1',
	kind: 'reward_model',
	split: 'test',
	rows: 40,
	preference_accuracy: accuracy,
	loss: 0.52,
	train_loss: 0.61,
	mean_margin: 1.3,
	created_at: '2026-12-03T12:00:00+00:00'
});
const ppoFile = { format: 'codelynn-metrics/1', kind: 'ppo', episodes: 10_000, mean_reward: 1.9, first_mean_reward: 0.2, kl: 0.08, created_at: '2026-12-03T13:00:00+00:00' };

/**
 * A run's last task as the pipelines do it: the model, codelynn-metrics.json, then
 * codelynn-model.json listing both, written with an S3 client of its own under output_uri
 * (nothing when output_uri is another bucket, which this S3 does not have).
 */
function pipelineWrites(kind: 'reward_model' | 'ppo') {
	return async (parameters: Record<string, unknown>): Promise<void> => {
		const prefix = `s3://${s3.bucket}/`;
		const output = String(parameters.output_uri);
		if (!output.startsWith(prefix)) return;
		const bucket = createS3Store(s3.config);
		const folder = `${output.slice(prefix.length)}/`;
		const metrics = next[kind];
		const files = ['model.safetensors'];
		await bucket.put(`${folder}model.safetensors`, 'weights');
		if (metrics !== null) {
			await bucket.put(`${folder}codelynn-metrics.json`, typeof metrics === 'string' ? metrics : JSON.stringify(metrics));
			files.push('codelynn-metrics.json');
		}
		await bucket.put(`${folder}codelynn-model.json`, JSON.stringify({ format: 'codelynn-model/1', kind, files: files.map((p) => ({ path: p })) }));
	};
}

async function trainVersion(chainDeps = chains.deps()): Promise<{ version: DatasetVersion; rm: typeof trainingRun.$inferSelect; ppo: typeof trainingRun.$inferSelect | undefined }> {
	const version = await chains.publish(datasetId);
	await chains.announce(version, `S${version.version}`);
	const finished = await chains.drive((await chains.chainJob(version.id)).id, chainDeps);
	expect(finished.status).toBe('succeeded');
	const runs = await database.db.select().from(trainingRun).where(eq(trainingRun.datasetVersionId, version.id));
	return { version, rm: runs.find((r) => r.kind === 'reward_model')!, ppo: runs.find((r) => r.kind === 'ppo') };
}

async function lineageMetrics(ppoRunId: string): Promise<{ rewardModel: MetricsView; ppo: MetricsView }> {
	const [model] = await database.db.select({ id: modelVersion.id }).from(modelVersion).where(eq(modelVersion.trainingRunId, ppoRunId));
	const event = requestEvent(`/admin/models/${model!.id}`, {
		user: { id: admin.id, email: 'admin@example.com', displayName: 'Admin', role: 'admin' },
		routeId: '/admin/models/[id]',
		params: { id: model!.id }
	});
	return ((await lineagePage(event as never)) as { metrics: { rewardModel: MetricsView; ppo: MetricsView } }).metrics;
}

/** Three annotators on every pair: two always answer a, the third b on every other pair. Raw agreement (6·3 + 6·1) / 36 = 2/3. */
async function votesWithTwoThirdsAgreement(personaId: string, annotators: Array<{ id: string }>): Promise<void> {
	const pairs = rowsOf<{ id: string }>(await database.db.execute(sql`select id from pair where persona_id = ${personaId} order by created_at`));
	const votes: VoteFixture[] = pairs.flatMap((pair, i) =>
		annotators.map((annotator, n) => ({ pairId: pair.id, annotatorId: annotator.id, choice: n === 2 && i % 2 ? 'b' : 'a', strength: 2 }) as VoteFixture)
	);
	await addVotes(database.db, votes);
}

beforeAll(async () => {
	database = await createTestDatabase();
	s3 = await startS3Server({ bucket: 'rlhf-datasets' });
	kfp = await startKfpServer({ token: null });
	config = loadConfig({ ...process.env, ...s3.env, STORAGE_WEBHOOK_TOKEN: TOKEN, KFP_ENDPOINT: kfp.endpoint, KFP_POLL_SECONDS: '0.05' });
	runtime.useDatabase(database, config);
	const kfpClient = createKfpClient({ ...config.training.kfp!, timeoutMs: 1_000, retries: 2, sleep: async () => {} });
	chains = chainDriver({ db: database.db, config, kfp, kfpClient, bucket: s3.bucket, webhookToken: TOKEN });
	kfp.onSucceeded('codelynn-reward-model', pipelineWrites('reward_model'));
	kfp.onSucceeded('codelynn-ppo', pipelineWrites('ppo'));
	const personaId = (await createPersonaWithPairs(database.db, { pairs: 12, overlap: 3, slug: 'lynn-metrics' })).personaId;
	const annotators = await createUsers(database.db, 3, { role: 'annotator' });
	admin = (await createUsers(database.db, 1, { role: 'admin' }))[0]!;
	await votesWithTwoThirdsAgreement(personaId, annotators);
	datasetId = (await definitions.createDataset(database.db, personaId, { name: 'Lynn prefs', slug: 'lynn-prefs', description: '', spec: defaultSpec() }, { id: null })).id;
});

afterAll(async () => {
	await kfp?.stop();
	await s3?.stop();
	await database?.close();
});

describe('training metrics', () => {
	it('reads the reward model’s metrics when its run succeeds, before PPO finishes, and the lineage page shows both runs’ figures', async () => {
		next.reward_model = rewardModelFile(0.81);
		next.ppo = ppoFile;
		const { version, rm, ppo } = await trainVersion();
		const rmMetrics = runMetricsOf(rm.metrics);
		expect(rmMetrics).toMatchObject({
			status: 'read',
			location: `s3://rlhf-datasets/models/lynn-metrics/lynn-prefs/v${version.version}/reward-model/codelynn-metrics.json`,
			file: { kind: 'reward_model', split: 'test', rows: 40, preference_accuracy: 0.81, loss: 0.52 },
			agreement: { value: expect.closeTo(2 / 3, 10) }
		});
		// read in the step that saw the reward model succeed, which is the step that submits PPO
		expect(new Date((rmMetrics as { readAt: string }).readAt).getTime()).toBeLessThanOrEqual(ppo!.submittedAt!.getTime());

		const shown = await lineageMetrics(ppo!.id);
		expect(shown.rewardModel).toMatchObject({ status: 'read', kind: 'reward_model', check: { accuracy: 0.81, agreement: expect.closeTo(2 / 3, 10), flagged: false } });
		expect(shown.ppo).toMatchObject({ status: 'read', kind: 'ppo', file: { episodes: 10_000, mean_reward: 1.9, first_mean_reward: 0.2, kl: 0.08 } });
	});

	it('flags a reward model that does no better than the annotators agree with each other, with both figures', async () => {
		next.reward_model = rewardModelFile(0.6);
		const { ppo } = await trainVersion();
		const shown = await lineageMetrics(ppo!.id);
		expect(shown.rewardModel).toMatchObject({ status: 'read', check: { accuracy: 0.6, agreement: expect.closeTo(2 / 3, 10), flagged: true } });
	});

	it('shows a missing metrics file and a broken one without stopping the chain', async () => {
		next.reward_model = null;
		next.ppo = '{"format": "codelynn-metrics/1", "kind": "ppo", "episodes": "many"';
		const missing = await trainVersion();
		expect(runMetricsOf(missing.rm.metrics)).toMatchObject({ status: 'missing', message: expect.stringContaining('No codelynn-metrics.json at s3://rlhf-datasets/models/') });
		expect(runMetricsOf(missing.ppo!.metrics)).toMatchObject({ status: 'invalid', message: expect.stringMatching(/policy\/codelynn-metrics.json is not JSON/) });

		next.reward_model = { ...rewardModelFile(0.9), preference_accuracy: 1.4, created_at: 'yesterday' };
		next.ppo = rewardModelFile(0.9);
		const invalid = await trainVersion();
		expect(runMetricsOf(invalid.rm.metrics)).toMatchObject({ status: 'invalid', message: expect.stringMatching(/is not a codelynn-metrics\/1 file: preference_accuracy: .*created_at/) });
		expect(runMetricsOf(invalid.ppo!.metrics)).toMatchObject({ status: 'invalid', message: expect.stringContaining("describes a reward_model run, but it lies under a ppo run's output") });
		// both chains registered their candidate: the model exists whether or not its figures can be read
		expect(await lineageMetrics(invalid.ppo!.id)).toMatchObject({ rewardModel: { status: 'invalid' }, ppo: { status: 'invalid' } });

		// text PostgreSQL cannot store, in a member the schema keeps or quoted by the JSON error, is shown, not fatal
		next.reward_model = { ...rewardModelFile(0.9), note: 'trained on\u0000node-7' };
		next.ppo = '\u0000{}';
		const unstorable = await trainVersion();
		expect(runMetricsOf(unstorable.rm.metrics)).toMatchObject({ status: 'invalid', message: expect.stringMatching(/note: must not contain a NUL character/) });
		expect(runMetricsOf(unstorable.ppo!.metrics)).toMatchObject({ status: 'invalid', message: expect.stringContaining('is not JSON') });
	});

	it('says so when a run wrote its model outside the platform’s object store', async () => {
		next.reward_model = rewardModelFile(0.8);
		const { rm } = await trainVersion(chains.deps({ training: { ...config.training, outputUri: 's3://team-models/models' } }));
		expect(runMetricsOf(rm.metrics)).toMatchObject({
			status: 'elsewhere',
			location: expect.stringMatching(/^s3:\/\/team-models\/models\/lynn-metrics\/lynn-prefs\/v\d+\/reward-model$/),
			message: expect.stringContaining("outside the platform's object store (s3://rlhf-datasets)")
		});
	});

	it('reads a file once per run, and again only after the store failed to answer', async () => {
		next.reward_model = rewardModelFile(0.77);
		next.ppo = ppoFile;
		const store = runtime.objectStore();
		const looks: string[] = [];
		let failures = 1;
		const flaky: ObjectStore = {
			...store,
			async stat(key) {
				if (key.endsWith('codelynn-metrics.json')) looks.push(key);
				if (key.includes('/reward-model/') && failures-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
				return store.stat(key);
			}
		};
		const { rm } = await trainVersion(chains.deps({ store: flaky }));
		expect(runMetricsOf(rm.metrics)).toMatchObject({ status: 'read', file: { preference_accuracy: 0.77 } });
		// the failed look, the one after it, then none while PPO ran: one more for PPO's own file
		expect(looks.filter((key) => key.includes('/reward-model/'))).toHaveLength(2);
		expect(looks.filter((key) => key.includes('/policy/'))).toHaveLength(1);
	});

	it('maps an output location to a key of the store it lies in, and nothing outside it', () => {
		const folder = createLocalStore(mkdtempSync(path.join(os.tmpdir(), 'objects-')));
		const root = folder.locationOf('');
		expect(keyOf(folder, `${root.replace(/\/$/, '')}/models/lynn/v1/reward-model/`)).toBe('models/lynn/v1/reward-model/codelynn-metrics.json');
		expect(keyOf(folder, 's3://rlhf-datasets/models/lynn/v1/reward-model')).toBeNull();
		const bucket = createS3Store(s3.config);
		expect(keyOf(bucket, 's3://rlhf-datasets/models/lynn/v1/policy')).toBe('models/lynn/v1/policy/codelynn-metrics.json');
		expect(keyOf(bucket, 's3://rlhf-datasets-2/models/lynn/v1/policy')).toBeNull();
		expect(keyOf(bucket, 's3://rlhf-datasets/models/../../etc')).toBeNull();
	});
});

describe('the loop of a persona', () => {
	it('has one turn per published version, newest first: its runs’ figures, its candidate, when that became current and was retired', async () => {
		const personaId = (await createPersonaWithPairs(database.db, { pairs: 12, overlap: 3, slug: 'lynn-turns' })).personaId;
		await votesWithTwoThirdsAgreement(personaId, await createUsers(database.db, 3, { role: 'annotator' }));
		datasetId = (await definitions.createDataset(database.db, personaId, { name: 'Turns', slug: 'turns', description: '', spec: defaultSpec() }, { id: null })).id;
		expect(await loopOf(database.db, personaId)).toEqual([]);

		next.reward_model = rewardModelFile(0.65);
		next.ppo = ppoFile;
		const first = await trainVersion();
		const [firstModel] = await database.db.select().from(modelVersion).where(eq(modelVersion.trainingRunId, first.ppo!.id));
		await models.makeCurrent(database.db, firstModel!.id, { id: admin.id });
		next.reward_model = rewardModelFile(0.82);
		next.ppo = { ...ppoFile, mean_reward: 2.4, kl: 0.11 };
		const second = await trainVersion();
		const [secondModel] = await database.db.select().from(modelVersion).where(eq(modelVersion.trainingRunId, second.ppo!.id));
		await models.makeCurrent(database.db, secondModel!.id, { id: admin.id });

		// published, not yet announced: a turn of the loop with no chain yet
		const waiting = await chains.publish(datasetId);
		const [untrained, ...turns] = await loopOf(database.db, personaId);
		expect(untrained).toMatchObject({ dataset: { versionId: waiting.id, version: 3 }, chains: [] });
		expect(turns.map((t) => t.dataset.version)).toEqual([2, 1]);
		const [latest, earlier] = turns;
		const manifestCounts = (second.version.manifest as { counts: { preference: { train: number; test: number } } }).counts.preference;
		expect(latest!.dataset).toMatchObject({ id: datasetId, versionId: second.version.id, name: 'Turns', preferenceRows: manifestCounts.train + manifestCounts.test });
		expect(latest!.dataset.preferenceRows).toBeGreaterThan(0);
		expect(latest!.chains).toHaveLength(1);
		expect(latest!.chains[0]).toMatchObject({
			chain: 1,
			rewardModel: { state: 'SUCCEEDED', accuracy: 0.82, flagged: false },
			ppo: { state: 'SUCCEEDED', meanReward: 2.4, firstMeanReward: 0.2, kl: 0.11 },
			candidate: { id: secondModel!.id, name: secondModel!.name, status: 'current' },
			modelVersionId: secondModel!.id,
			retiredAt: null
		});
		expect(earlier!.chains[0]).toMatchObject({ rewardModel: { accuracy: 0.65, flagged: true }, candidate: { id: firstModel!.id, status: 'retired' } });
		// the second promotion retired the first: the same moment ends one and starts the other
		expect(latest!.chains[0]!.becameCurrentAt).toBeInstanceOf(Date);
		expect(earlier!.chains[0]!.retiredAt).toEqual(latest!.chains[0]!.becameCurrentAt);
		expect(earlier!.chains[0]!.becameCurrentAt!.getTime()).toBeLessThanOrEqual(earlier!.chains[0]!.retiredAt!.getTime());
	});
});
