import { afterAll, beforeAll } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './database';
import { createUsers } from './fixtures';
import { startModelServer, type ModelServer } from './openai-server';
import { rowsOf, type Db } from '../../src/lib/server/db';
import { job, modelVersion } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { runNext } from '../../src/lib/server/jobs/runner';
import { SAMPLING_JOB } from '../../src/lib/server/sampling/jobs';
import { runSamplingJob } from '../../src/lib/server/sampling/worker';
import { openRun } from '../../src/lib/server/training/runs';

/**
 * A candidate model trained on a real dataset version: the version's rows
 * frozen by the app (prompt rows split by the definition's rule), a PPO run
 * on it and the model version that run produced, as the chain leaves them.
 */
export async function trainedCandidate(
	db: Db,
	options: { personaId: string; baseUrl: string; testPercent: number; name?: string }
): Promise<{ candidateId: string; versionId: string }> {
	const slug = `eval-${crypto.randomUUID().slice(0, 8)}`;
	const base = defaultSpec();
	const spec = { ...base, contents: { preferences: false, sft: false, prompts: true }, split: { testPercent: options.testPercent, seed: slug } };
	const { id: datasetId } = await definitions.createDataset(db, options.personaId, { name: slug, slug, description: '', spec }, { id: null });
	const version = await versions.createVersion(db, datasetId, { id: null }, { undoSeconds: 60 });
	// The publish job is not run: its files are not what a round reads.
	await db.delete(job).where(eq(job.id, version.jobId));
	const ppo = await openRun(db, {
		datasetVersionId: version.id,
		kind: 'ppo',
		chainKey: `${version.id}#1`,
		parentRunId: null,
		baseModelVersionId: null,
		parameters: {},
		request: null,
		state: 'SUCCEEDED'
	});
	const [model] = await db
		.insert(modelVersion)
		.values({ personaId: options.personaId, name: options.name ?? `${slug}-policy`, kind: 'endpoint', baseUrl: options.baseUrl, model: 'policy-v7', status: 'candidate', trainingRunId: ppo.id })
		.returning({ id: modelVersion.id });
	return { candidateId: model!.id, versionId: version.id };
}

/** A model version registered by hand (no training lineage). */
export async function endpointModel(db: Db, personaId: string, baseUrl: string, status: 'candidate' | 'retired' = 'candidate'): Promise<string> {
	const [model] = await db
		.insert(modelVersion)
		.values({ personaId, name: `hand-${crypto.randomUUID().slice(0, 8)}`, kind: 'endpoint', baseUrl, model: 'policy-v7', status })
		.returning({ id: modelVersion.id });
	return model!.id;
}

/** Runs sampling jobs until none is left to claim. */
export async function runSampling(db: Db): Promise<void> {
	while (await runNext(db, 'spec', { [SAMPLING_JOB]: runSamplingJob })) {
		/* until no sampling job is left */
	}
}

/** The split a version's rows put a prompt in. */
export async function splitsOf(db: Db, versionId: string): Promise<Map<string, string>> {
	const rows = rowsOf<{ prompt_id: string; split: string }>(
		await db.execute(sql`select distinct prompt_id, split from dataset_version_row where dataset_version_id = ${versionId} and prompt_id is not null`)
	);
	return new Map(rows.map((r) => [r.prompt_id, r.split]));
}

export type RoundsWorld = { database: TestDatabase; server: ModelServer; admin: { id: string } };

/**
 * What every rounds spec starts from: a fresh database, an admin and the
 * OpenAI-compatible test server, opened before the file's specs and closed after.
 * Read its members inside specs (they are set once `beforeAll` ran).
 */
export function roundsWorld(): RoundsWorld {
	const world = {} as RoundsWorld;
	beforeAll(async () => {
		world.database = await createTestDatabase();
		world.admin = (await createUsers(world.database.db, 1, { role: 'admin' }))[0]!;
		world.server = await startModelServer({ mode: 'vllm' });
	});
	afterAll(async () => {
		await world.server.close();
		await world.database.close();
	});
	return world;
}
