import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, like, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { startKfpServer, type FakeKfpServer } from '../support/kfp-server';
import { createRunWhoseAnswerWasLost } from '../support/kfp-runs';
import * as runtime from '../../src/lib/server/runtime';
import { loadConfig, type Config } from '../../src/lib/server/config';
import { job, trainingRun } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { publishJobHandler } from '../../src/lib/server/datasets/job';
import { runNext } from '../../src/lib/server/jobs/runner';
import * as jobs from '../../src/lib/server/jobs/queue';
import { createKfpClient, type KfpClient } from '../../src/lib/server/kubeflow/client';
import { pipelineTexts } from '../../src/lib/server/kubeflow/pipelines';
import { createLocalStore, type ObjectStore } from '../../src/lib/server/storage';
import { chainJobHandler } from '../../src/lib/server/training/chain';
import { CHAIN_JOB, runDedupeKey } from '../../src/lib/server/training/chain-key';
import { ANNOUNCE_JOB, announceJobHandler } from '../../src/lib/server/training/notify';
import { listChainsNeedingAttention } from '../../src/lib/server/training/attention';
import { requestEvent } from '../support/request-event';
import { actions, load as trainingPage } from '../../src/routes/admin/training/+page.server';

// Kubeflow restarts, upgrades and network cuts must not stop the training loop. The chain runs
// its production code; only the clock is scaled: each look, the time the job asked to wait
// passes at once (its run_after is brought forward, and the chain's clock moves on as much).

let database: TestDatabase;
let config: Config;
let store: ObjectStore;
let kfp: FakeKfpServer;
let kfpClient: KfpClient;
let personaId: string;
let datasetId: string;
let admin: { id: string };
const clock = { at: Date.now() };

async function publishAndAnnounce(): Promise<versions.DatasetVersion> {
	const created = await versions.createVersion(database.db, datasetId, { id: null }, { undoSeconds: 60 });
	await runNext(database.db, 'spec', { [versions.PUBLISH_JOB]: publishJobHandler(() => store) }, undefined, created.jobId);
	const [announce] = await database.db.select().from(job).where(and(eq(job.kind, ANNOUNCE_JOB), like(job.dedupeKey, `%${created.id}`)));
	await runNext(database.db, 'spec', { [ANNOUNCE_JOB]: announceJobHandler(() => ({ store, token: 'unused-in-process', url: undefined })) }, undefined, announce!.id);
	return versions.getVersion(database.db, created.id);
}

async function chainOf(versionId: string): Promise<jobs.JobRow> {
	const [found] = await database.db.select().from(job).where(eq(job.dedupeKey, `${CHAIN_JOB}:${versionId}#1`));
	return found!;
}

/** One look by the chain, then the time it asked to wait passes; Kubeflow's runs move on meanwhile. */
async function look(jobId: string): Promise<jobs.JobRow> {
	await database.db.update(job).set({ runAfter: sql`now()` }).where(eq(job.id, jobId));
	const handler = chainJobHandler(() => ({ store, training: config.training, kfp: kfpClient, pipelines: pipelineTexts, now: () => new Date(clock.at) }));
	await runNext(database.db, 'spec', { [CHAIN_JOB]: handler }, undefined, jobId);
	const seen = (await jobs.getJob(database.db, jobId))!;
	if (seen.status === 'queued') clock.at += Math.max(0, seen.runAfter.getTime() - seen.updatedAt.getTime());
	kfp.advance();
	return seen;
}

async function runsAtKubeflow(versionId: string): Promise<Array<{ description?: string }>> {
	const [rm] = await database.db.select().from(trainingRun).where(eq(trainingRun.datasetVersionId, versionId));
	const page = await kfpClient.listRuns({ experimentId: rm!.experimentId!, pageSize: 100 });
	return page.runs.filter((run) => run.description?.includes(versionId));
}

beforeAll(async () => {
	database = await createTestDatabase();
	kfp = await startKfpServer();
	const objects = mkdtempSync(path.join(os.tmpdir(), 'outage-objects-'));
	config = loadConfig({ ...process.env, OBJECTS_DIR: objects, S3_BUCKET: '', KFP_ENDPOINT: kfp.endpoint, KFP_POLL_SECONDS: '0.05', KFP_OUTAGE_MINUTES: undefined });
	runtime.useDatabase(database, config);
	store = createLocalStore(objects);
	kfpClient = createKfpClient({ endpoint: kfp.endpoint, timeoutMs: 300, retries: 2, sleep: async () => {} });
	personaId = (await createPersonaWithPairs(database.db, { pairs: 4, overlap: 1, slug: 'lynn-outage' })).personaId;
	admin = (await createUsers(database.db, 1, { role: 'admin' }))[0]!;
	datasetId = (await definitions.createDataset(database.db, personaId, { name: 'Lynn prefs', slug: 'lynn-prefs', description: '', spec: defaultSpec() }, { id: null })).id;
});

afterAll(async () => {
	await kfp?.stop();
	await database?.close();
});

describe('a Kubeflow outage', () => {
	it('waits at least 30 minutes by default', () => {
		expect(config.training.outageMs).toBeGreaterThanOrEqual(30 * 60_000);
	});

	it('is ridden out while a run trains: down 60 s, then back, and the chain ends with one run of each kind', async () => {
		const version = await publishAndAnnounce();
		const chain = await chainOf(version.id);
		let seen = await look(chain.id);
		while ((await database.db.select().from(trainingRun).where(eq(trainingRun.datasetVersionId, version.id)))[0]?.state !== 'RUNNING') seen = await look(chain.id);

		kfp.down('reset');
		const downAt = clock.at;
		let shown = false;
		for (let i = 0; i < 100 && seen.status === 'queued'; i++) {
			seen = await look(chain.id);
			if (clock.at - downAt < 60_000) {
				// while it lasts, the Training page says since when
				const [listed] = await listChainsNeedingAttention(database.db, personaId);
				expect(listed).toMatchObject({ jobId: chain.id, status: 'queued', outage: { since: new Date(downAt).toISOString() } });
				expect(listed!.outage!.error).toMatch(/cannot reach/);
				shown = true;
			} else kfp.down(null);
		}
		expect(shown).toBe(true);
		expect(seen.status).toBe('succeeded');
		expect(await listChainsNeedingAttention(database.db, personaId)).toEqual([]);
		const atKubeflow = await runsAtKubeflow(version.id);
		expect(atKubeflow.map((run) => run.description).sort()).toEqual([runDedupeKey(version.id, 1, 'ppo'), runDedupeKey(version.id, 1, 'reward_model')]);
	});

	it('stops a chain after KFP_OUTAGE_MINUTES, and Resume finishes it without a second training', async () => {
		kfp.down(503);
		const version = await publishAndAnnounce();
		const chain = await chainOf(version.id);
		const downAt = clock.at;
		let seen = await look(chain.id);
		for (let i = 0; i < 100 && seen.status === 'queued'; i++) seen = await look(chain.id);
		expect(seen.status).toBe('failed');
		expect(clock.at - downAt).toBeGreaterThanOrEqual(config.training.outageMs);
		expect(seen.lastError).toMatch(new RegExp(`Kubeflow has been unreachable since ${new Date(downAt).toISOString().slice(0, 16)}.*HTTP 503.*Resume the chain`));
		// the Training page lists it as stopped, with since when Kubeflow was unreachable, and offers Resume
		const user = { id: admin.id, email: 'admin@example.com', displayName: 'Admin', role: 'admin' as const };
		const onPage = (await trainingPage(requestEvent('/admin/training?persona=lynn-outage', { user, routeId: '/admin/training' }) as never)) as Record<string, unknown>;
		expect(onPage.chains).toEqual([expect.objectContaining({ jobId: chain.id, status: 'failed', outage: expect.objectContaining({ since: new Date(downAt).toISOString() }) })]);

		// Kubeflow comes back having created the run whose answer was lost as it went down
		kfp.down(null);
		const [rm] = await database.db.select().from(trainingRun).where(eq(trainingRun.datasetVersionId, version.id));
		expect(rm).toMatchObject({ state: 'SUBMITTING', kfpRunId: null });
		const created = await createRunWhoseAnswerWasLost(kfpClient, 'lynn-outage', version.id);

		const resume = () => actions.resume!(requestEvent('/admin/training?/resume&persona=lynn-outage', { user, routeId: '/admin/training', form: { id: chain.id } }) as never);
		expect(await resume()).toMatchObject({ done: 'resume' });
		expect(await resume()).toMatchObject({ status: 400, data: { errors: { chain: expect.stringMatching(/only a stopped chain can be resumed/) } } });
		for (let i = 0; i < 40 && seen.status !== 'succeeded'; i++) seen = await look(chain.id);
		expect(seen.status).toBe('succeeded');
		const runs = await database.db.select().from(trainingRun).where(eq(trainingRun.datasetVersionId, version.id));
		expect(runs.find((r) => r.kind === 'reward_model')!.kfpRunId).toBe(created.run_id);
		expect((await runsAtKubeflow(version.id)).map((run) => run.description).sort()).toEqual([
			runDedupeKey(version.id, 1, 'ppo'),
			runDedupeKey(version.id, 1, 'reward_model')
		]);
	});
});
