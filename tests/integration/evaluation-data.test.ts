import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text as streamText } from 'node:stream/consumers';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPrompts, createUsers } from '../support/fixtures';
import { addVotes } from '../support/judgments';
import { startModelServer, type ModelServer } from '../support/openai-server';
import { endpointModel, runSampling } from '../support/rounds';
import { rowsOf } from '../../src/lib/server/db';
import { pair } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec, type DatasetSpec } from '../../src/lib/server/datasets/spec';
import { describeSpec } from '../../src/lib/server/datasets/formats/card-spec';
import { publishJobHandler } from '../../src/lib/server/datasets/job';
import { previewVersion } from '../../src/lib/server/datasets/preview';
import { runNext } from '../../src/lib/server/jobs/runner';
import * as rounds from '../../src/lib/server/evaluation/rounds';
import * as sampling from '../../src/lib/server/sampling/jobs';
import { createLocalStore } from '../../src/lib/server/storage';

let database: TestDatabase;
let server: ModelServer;
let personaId: string;
let regularPairs: string[];
let evaluationPairs: string[];
const store = createLocalStore(mkdtempSync(path.join(os.tmpdir(), 'evaluation-data-')));

beforeAll(async () => {
	database = await createTestDatabase();
	server = await startModelServer({ mode: 'vllm' });
	const [admin] = await createUsers(database.db, 1, { role: 'admin' });
	const persona = await createPersonaWithPrompts(database.db, { prompts: 6, baseUrl: server.baseUrl });
	personaId = persona.personaId;
	const other = await endpointModel(database.db, personaId, server.baseUrl);
	const regular = sampling.samplingSpecSchema.parse({ selection: { limit: 3 }, strategy: { kind: 'temperatures', temperatures: [0.3, 1.1] } });
	await sampling.createSamplingJob(database.db, personaId, regular, admin!);
	const round = await rounds.createRound(database.db, personaId, { modelVersionIds: [persona.modelId, other], prompts: 6, overlap: 2 }, admin!);
	await runSampling(database.db);
	const all = await database.db.select({ id: pair.id, round: pair.evaluationRoundId }).from(pair).where(eq(pair.personaId, personaId));
	regularPairs = all.filter((p) => p.round === null).map((p) => p.id);
	evaluationPairs = all.filter((p) => p.round === round.roundId).map((p) => p.id);
	const annotators = await createUsers(database.db, 2);
	await addVotes(database.db, [...regularPairs, ...evaluationPairs].flatMap((pairId) => annotators.map((a) => ({ pairId, annotatorId: a.id, choice: 'a' as const }))));
	// a prompt typed in arena mode
	await database.db.execute(sql`
		insert into prompt (persona_id, messages, domain, source, content_hash)
		values (${personaId}, '[{"role":"user","content":"Typed in the arena"}]'::jsonb, 'chat', 'arena', md5(${personaId}::text || 'arena'))`);
});
afterAll(async () => {
	await server.close();
	await database.close();
});

async function publishWith(includeEvaluation: boolean): Promise<versions.DatasetVersion> {
	const slug = `data-${includeEvaluation ? 'with' : 'without'}`;
	const base = defaultSpec();
	const spec: DatasetSpec = { ...base, filters: { ...base.filters, includeEvaluation }, split: { ...base.split, testPercent: 0 } };
	const { id } = await definitions.createDataset(database.db, personaId, { name: slug, slug, description: '', spec }, { id: null });
	const created = await versions.createVersion(database.db, id, { id: null }, { undoSeconds: 60 });
	await runNext(database.db, 'spec', { [versions.PUBLISH_JOB]: publishJobHandler(() => store) }, undefined, created.jobId);
	const version = await versions.getVersion(database.db, created.id);
	expect(version.status).toBe('published');
	return version;
}

async function lines(key: string): Promise<Array<Record<string, unknown>>> {
	return (await streamText(await store.get(key))).split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

async function promptSources(versionId: string): Promise<string[]> {
	const rows = rowsOf<{ source: string }>(
		await database.db.execute(sql`select p.source from dataset_version_row r join prompt p on p.id = r.prompt_id where r.dataset_version_id = ${versionId} and r.kind = 'prompt'`)
	);
	return rows.map((r) => r.source);
}

describe('evaluation votes in training data', () => {
	it('are absent from a published version that did not ask for them, with arena prompts', async () => {
		expect(regularPairs.length).toBe(3);
		expect(evaluationPairs.length).toBe(6);
		const version = await publishWith(false);
		const votes = await lines(`${version.objectPrefix}votes.jsonl`);
		expect(new Set(votes.map((v) => v.pair_id))).toEqual(new Set(regularPairs));
		const preferences = await lines(`${version.objectPrefix}preference/train.jsonl`);
		expect(preferences).toHaveLength(regularPairs.length);
		expect(await promptSources(version.id)).not.toContain('arena');
		const card = await streamText(await store.get(`${version.objectPrefix}README.md`));
		expect(card).toContain('**Evaluation votes:** left out');
	});

	it('are present when the definition asks for them', async () => {
		const version = await publishWith(true);
		const votes = await lines(`${version.objectPrefix}votes.jsonl`);
		expect(new Set(votes.map((v) => v.pair_id))).toEqual(new Set([...regularPairs, ...evaluationPairs]));
		expect(await lines(`${version.objectPrefix}preference/train.jsonl`)).toHaveLength(regularPairs.length + evaluationPairs.length);
		expect(await promptSources(version.id)).toContain('arena');
		expect(describeSpec(version.spec).join('\n')).toContain('**Evaluation votes:** included');
	});

	it('are left out of the preview of the next version as publishing would leave them out', async () => {
		const base = defaultSpec();
		const dataset = { ...(await definitions.findDataset(database.db, 'data-without')) };
		const preview = await previewVersion(database.db, dataset, { undoSeconds: 60 });
		expect(preview.pairs).toBe(regularPairs.length);
		const asked = await previewVersion(database.db, { ...dataset, spec: { ...base, filters: { ...base.filters, includeEvaluation: true } } }, { undoSeconds: 60 });
		expect(asked.pairs).toBe(regularPairs.length + evaluationPairs.length);
	});
});
