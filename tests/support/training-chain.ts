/**
 * Driving the training chain in specs the way the app runs it: a version
 * published to the object store, MinIO's event for its manifest through the
 * storage webhook, then the chain's job run step by step while the fake KFP
 * server moves its runs one state per look.
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../src/lib/server/db';
import { job } from '../../src/lib/server/db/schema';
import type { Config } from '../../src/lib/server/config';
import * as runtime from '../../src/lib/server/runtime';
import * as versions from '../../src/lib/server/datasets/versions';
import { publishJobHandler } from '../../src/lib/server/datasets/job';
import { runNext } from '../../src/lib/server/jobs/runner';
import * as jobs from '../../src/lib/server/jobs/queue';
import type { KfpClient } from '../../src/lib/server/kubeflow/client';
import { pipelineTexts } from '../../src/lib/server/kubeflow/pipelines';
import { chainJobHandler, type ChainDeps } from '../../src/lib/server/training/chain';
import { CHAIN_JOB } from '../../src/lib/server/training/chain-key';
import { minioEventFor } from '../../src/lib/server/training/events';
import { POST as hook } from '../../src/routes/api/v1/hooks/storage/+server';
import type { FakeKfpServer } from './kfp-server';
import { requestEvent } from './request-event';

export type ChainDriver = {
	/** The chain's dependencies as the app wires them, with the given client. */
	deps(overrides?: Partial<ChainDeps>): ChainDeps;
	/** Publishes the next version of the dataset to the object store the way the app does. */
	publish(datasetId: string): Promise<versions.DatasetVersion>;
	/** What MinIO would POST for the version's manifest: the stored object's size, the key escaped as Go does. */
	announce(version: versions.DatasetVersion, sequencer: string): Promise<Response>;
	chainJob(versionId: string, chain?: number): Promise<jobs.JobRow>;
	/** Runs the chain's job until it ends, moving Kubeflow's runs one state per look (and letting them write their outputs). */
	drive(jobId: string, chainDeps?: ChainDeps): Promise<jobs.JobRow>;
};

export function chainDriver(input: { db: Db; config: Config; kfp: FakeKfpServer; kfpClient: KfpClient; bucket: string; webhookToken: string }): ChainDriver {
	const { db, config, kfp, kfpClient } = input;
	const deps = (overrides: Partial<ChainDeps> = {}): ChainDeps => ({
		store: runtime.objectStore(),
		training: config.training,
		kfp: kfpClient,
		pipelines: pipelineTexts,
		...overrides
	});
	return {
		deps,
		async publish(datasetId) {
			const created = await versions.createVersion(db, datasetId, { id: null }, { undoSeconds: 60 });
			await runNext(db, 'spec', { [versions.PUBLISH_JOB]: publishJobHandler(runtime.objectStore) }, undefined, created.jobId);
			return versions.getVersion(db, created.id);
		},
		async announce(version, sequencer) {
			const key = `${version.objectPrefix}manifest.json`;
			const body = minioEventFor({ bucket: input.bucket, key, size: (await runtime.objectStore().stat(key))!.bytes, eTag: 'e', sequencer, at: new Date() });
			const event = requestEvent('/api/v1/hooks/storage', { method: 'POST', routeId: '/api/v1/hooks/storage' });
			const request = new Request(event.url, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${input.webhookToken}` } });
			return hook({ ...event, request } as never);
		},
		async chainJob(versionId, chain = 1) {
			const [found] = await db.select().from(job).where(eq(job.dedupeKey, `${CHAIN_JOB}:${versionId}#${chain}`));
			return found!;
		},
		async drive(jobId, chainDeps = deps()) {
			for (let step = 0; step < 40; step++) {
				// the wait the job asked for is over: it runs at the next claim
				await db.update(job).set({ runAfter: sql`now()` }).where(eq(job.id, jobId));
				await runNext(db, 'spec', { [CHAIN_JOB]: chainJobHandler(() => chainDeps) }, undefined, jobId);
				const now = (await jobs.getJob(db, jobId))!;
				if (now.status !== 'queued') return now;
				await kfp.advance();
			}
			throw new Error('the chain did not finish in 40 steps');
		}
	};
}
