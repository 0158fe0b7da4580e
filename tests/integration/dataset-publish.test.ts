import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { text as streamText, buffer as streamBuffer } from 'node:stream/consumers';
import { sql } from 'drizzle-orm';
import { parquetReadObjects, parquetSchema, parquetMetadata } from 'hyparquet';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes } from '../support/judgments';
import { startFaultyProxy, startS3Server, type FaultyProxy, type S3Server } from '../support/s3';
import { rowsOf } from '../../src/lib/server/db';
import * as gold from '../../src/lib/server/gold/examples';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { diffVersions } from '../../src/lib/server/datasets/diff';
import { publishJobHandler } from '../../src/lib/server/datasets/job';
import { verifyVersion } from '../../src/lib/server/datasets/verify';
import { parseManifest } from '../../src/lib/server/datasets/manifest';
import { runNext } from '../../src/lib/server/jobs/runner';
import { createS3Store, type ObjectStore } from '../../src/lib/server/storage';

const run = promisify(execFile);

let database: TestDatabase;
let s3: S3Server;
let proxy: FaultyProxy;
let store: ObjectStore;
let personaId: string;
let datasetId: string;
let pairs: string[];
let annotators: Array<{ id: string }>;

/** Publishes the next version the way the app does: freeze, then the job writes the files. */
async function publish(): Promise<versions.DatasetVersion> {
	const created = await versions.createVersion(database.db, datasetId, { id: null }, { undoSeconds: 60 });
	await runNext(database.db, 'spec-worker', { [versions.PUBLISH_JOB]: publishJobHandler(() => store) }, undefined, created.jobId);
	return versions.getVersion(database.db, created.id);
}

async function lines(key: string): Promise<Array<Record<string, unknown>>> {
	const text = await streamText(await store.get(key));
	return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

beforeAll(async () => {
	database = await createTestDatabase();
	s3 = await startS3Server({ bucket: 'rlhf-datasets' });
	proxy = await startFaultyProxy(s3.endpoint);
	store = createS3Store({ ...s3.config, endpoint: proxy.endpoint });
	personaId = (await createPersonaWithPairs(database.db, { pairs: 40, overlap: 3, slug: `pub-${crypto.randomUUID().slice(0, 6)}` })).personaId;
	annotators = await createUsers(database.db, 3);
	const [reviewer] = await createUsers(database.db, 1, { role: 'reviewer' });
	pairs = rowsOf<{ id: string }>(await database.db.execute(sql`select id from pair where persona_id = ${personaId} order by created_at`)).map((r) => r.id);
	const [a, b, c] = annotators.map((u) => u.id) as [string, string, string];
	await addVotes(database.db, [
		{ pairId: pairs[0]!, annotatorId: a, choice: 'a', strength: 4 },
		{ pairId: pairs[0]!, annotatorId: b, choice: 'a', strength: 2 },
		{ pairId: pairs[0]!, annotatorId: c, choice: 'b', strength: 1 },
		{ pairId: pairs[1]!, annotatorId: a, choice: 'b', strength: 3, aOnLeft: false },
		{ pairId: pairs[2]!, annotatorId: a, choice: 'a', strength: 1 },
		{ pairId: pairs[3]!, annotatorId: a, choice: 'tie' }
	]);
	// One approved edit of pair 5's first reply: an SFT row and a gold-edit preference.
	const [source] = rowsOf<{ id: string; prompt_id: string }>(await database.db.execute(sql`select c.id, c.prompt_id from pair p join candidate c on c.id = p.candidate_a_id where p.id = ${pairs[5]!}`));
	const started = await gold.startGold(database.db, { promptId: source!.prompt_id, sourceCandidateId: source!.id, authorId: a });
	await gold.saveRevision(database.db, { goldExampleId: started.id, authorId: a, baseRevision: 1, text: 'Ha, okay — honest answer: I would just use a Map here.' });
	await gold.submitForReview(database.db, { goldExampleId: started.id, authorId: a, revision: 2 });
	await gold.reviewExample(database.db, { goldExampleId: started.id, reviewerId: reviewer!.id, revision: 2, decision: 'approved' });
	const spec = defaultSpec();
	spec.split.testPercent = 25;
	datasetId = (await definitions.createDataset(database.db, personaId, { name: 'Lynn prefs', slug: 'lynn-prefs', description: '', spec }, { id: null })).id;
});

afterAll(async () => {
	await proxy?.stop();
	await s3?.stop();
	await database?.close();
});

describe('publishing dataset versions to S3', () => {
	let v1: versions.DatasetVersion;
	let v2: versions.DatasetVersion;

	it('publishes v1: every planned file, then the manifest, under datasets/<persona>/<dataset>/v1/', async () => {
		v1 = await publish();
		expect(v1.status).toBe('published');
		expect(v1.version).toBe(1);
		expect(v1.objectPrefix).toMatch(/^datasets\/pub-[0-9a-f]+\/lynn-prefs\/v1\/$/);
		const keys: string[] = [];
		for await (const object of store.list(v1.objectPrefix)) keys.push(object.key.slice(v1.objectPrefix.length));
		expect(keys.sort()).toEqual(
			[
				'README.md',
				'manifest.json',
				'votes.jsonl',
				...['preference', 'sft', 'prompts'].flatMap((folder) => ['train', 'test'].flatMap((split) => [`${folder}/${split}.jsonl`, `${folder}/${split}.parquet`]))
			].sort()
		);
		// the manifest is the last object written
		const puts = proxy.requests.filter((r) => r.method === 'PUT' || r.method === 'POST');
		expect(puts.at(-1)!.url).toContain('manifest.json');
		const manifest = parseManifest(await streamText(await store.get(`${v1.objectPrefix}manifest.json`)), 'manifest');
		expect(manifest).toMatchObject({ version: 1, version_id: v1.id, parent: null, dataset: { slug: 'lynn-prefs' } });
		expect(manifest.counts.preference.train + manifest.counts.preference.test).toBe(4); // pairs 0, 1, 2 and the gold edit
		expect(manifest.counts.vote.train + manifest.counts.vote.test).toBe(6);
		expect(manifest.counts.sft.train + manifest.counts.sft.test).toBe(1);
		expect(manifest.counts.prompt.train + manifest.counts.prompt.test).toBe(40);
	});

	it('writes rows with majority winners, mean margins and the gold edit, never an email', async () => {
		const rows = [...(await lines(`${v1.objectPrefix}preference/train.jsonl`)), ...(await lines(`${v1.objectPrefix}preference/test.jsonl`))];
		const majority = rows.find((r) => (r.margin as number) === 1.25); // strengths 4 and 2 → (2 + 0.5) / 2
		expect(majority).toBeDefined();
		expect((majority!.chosen as Array<{ content: string }>)[0]!.content).toMatch(/^A: /);
		const edit = rows.find((r) => (r.chosen as Array<{ content: string }>)[0]!.content.startsWith('Ha, okay'));
		expect(edit).toMatchObject({ margin: 2, rejected: [{ role: 'assistant', content: expect.stringMatching(/^A: /) }] });
		const votes = await lines(`${v1.objectPrefix}votes.jsonl`);
		expect(votes).toHaveLength(6);
		expect(JSON.stringify(votes)).not.toContain('@example.com');
		expect(new Set(votes.map((v) => v.annotator)).size).toBe(3);
		expect(votes.find((v) => v.pair_id === pairs[1])).toMatchObject({ choice: 'b', strength: 3, left: 'b', duration_ms: 4200 });
	});

	it('keeps a prompt in one split only', async () => {
		const byPrompt = new Map<string, Set<string>>();
		for (const split of ['train', 'test'])
			for (const row of await lines(`${v1.objectPrefix}prompts/${split}.jsonl`)) {
				const key = JSON.stringify(row.prompt);
				byPrompt.set(key, (byPrompt.get(key) ?? new Set()).add(split));
			}
		expect(byPrompt.size).toBe(40);
		expect([...byPrompt.values()].every((s) => s.size === 1)).toBe(true);
		const test = [...byPrompt.values()].filter((s) => s.has('test')).length;
		expect(test).toBeGreaterThan(2);
		expect(test).toBeLessThan(20);
	});

	it('writes Parquet that an independent reader reads back row for row', async () => {
		for (const split of ['train', 'test'] as const) {
			const bytes = await streamBuffer(await store.get(`${v1.objectPrefix}preference/${split}.parquet`));
			const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
			const metadata = parquetMetadata(file);
			expect(parquetSchema(metadata).children.map((c) => c.element.name)).toEqual(['prompt', 'chosen', 'rejected', 'margin']);
			const fromParquet = await parquetReadObjects({ file });
			expect(fromParquet).toEqual(await lines(`${v1.objectPrefix}preference/${split}.jsonl`));
		}
	});

	it('publishes v2 after new votes, and the diff names what was added, changed and removed', async () => {
		const [a, b, c] = annotators.map((u) => u.id) as [string, string, string];
		await addVotes(database.db, [
			{ pairId: pairs[1]!, annotatorId: b, choice: 'a', strength: 4 }, // 1 b + 1 a: a tie → pair 1 leaves
			{ pairId: pairs[2]!, annotatorId: b, choice: 'b', strength: 4 }, // pair 2 flips to b …
			{ pairId: pairs[2]!, annotatorId: c, choice: 'b', strength: 4 }, // … by 2 votes to 1
			{ pairId: pairs[6]!, annotatorId: a, choice: 'a', strength: 2 }, // new
			{ pairId: pairs[7]!, annotatorId: a, choice: 'b', strength: 2 } // new
		]);
		v2 = await publish();
		expect(v2.status).toBe('published');
		expect(v2.version).toBe(2);
		expect(v2.parentVersionId).toBe(v1.id);
		const diff = await diffVersions(database.db, v1.id, v2.id);
		expect(diff.kinds.find((k) => k.kind === 'preference')).toEqual({ kind: 'preference', added: 2, removed: 1, changed: 1, unchanged: 2 });
		expect(diff.kinds.find((k) => k.kind === 'vote')).toMatchObject({ added: 5, removed: 0, changed: 0, unchanged: 6 });
		expect(diff.kinds.find((k) => k.kind === 'prompt')).toMatchObject({ added: 0, removed: 0, changed: 0, unchanged: 40 });
		expect(diff.byDomain).toEqual([{ domain: 'chat', added: 7, removed: 1, changed: 1 }]);
		expect(diff.bySource.find((s) => s.source === 'judgment')).toEqual({ source: 'judgment', added: 2, removed: 1, changed: 1 });
		expect(diff.byModel).toEqual([{ model: 'fixture-pool', added: 2, removed: 1, changed: 1 }]);
		// v1 still says what it said
		expect((await versions.getVersion(database.db, v1.id)).manifest).toEqual(v1.manifest);
	});

	it('verifies both versions against their manifests, and catches a changed file', async () => {
		for (const version of [v1, v2]) {
			const result = await verifyVersion(store, version.objectPrefix);
			expect(result.ok).toBe(true);
			expect(result.files.length).toBe(14);
		}
		await store.put(`${v1.objectPrefix}votes.jsonl`, '{"tampered": true}\n');
		const result = await verifyVersion(store, v1.objectPrefix);
		expect(result.ok).toBe(false);
		expect(result.files.find((f) => f.path === 'votes.jsonl')!.problems.join(' ')).toMatch(/SHA-256 .* the manifest says/);
	});

	it('verifies from the command line: exit 0 on a good version, 1 on a changed one', async () => {
		const env = { ...process.env, S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' };
		const good = await run('npx', ['tsx', 'scripts/dataset-verify.ts', `s3://${s3.bucket}/${v2.objectPrefix}`], { env });
		expect(good.stdout).toMatch(/all 14 files match the manifest/);
		const bad = await run('npx', ['tsx', 'scripts/dataset-verify.ts', `s3://${s3.bucket}/${v1.objectPrefix}`], { env }).catch((error) => error);
		expect(bad.code).toBe(1);
		expect(bad.stdout).toMatch(/FAIL votes\.jsonl/);
	});

	it('leaves a failed, unpublished version when storage fails mid-upload, and a retry publishes it', async () => {
		proxy.failWhen((request) => request.method === 'PUT' && request.url.includes('preference/test.parquet'));
		const v3 = await publish();
		expect(v3.status).toBe('failed');
		expect(v3.error).toMatch(/preference\/test\.parquet/);
		expect(v3.manifest).toBeNull();
		expect(await store.stat(`${v3.objectPrefix}manifest.json`)).toBeUndefined();
		proxy.clear();
		await versions.retryVersion(database.db, v3.id, { id: null });
		await runNext(database.db, 'spec-worker', { [versions.PUBLISH_JOB]: publishJobHandler(() => store) }, undefined, v3.jobId!);
		const retried = await versions.getVersion(database.db, v3.id);
		expect(retried.status).toBe('published');
		expect((await verifyVersion(store, retried.objectPrefix)).ok).toBe(true);
		// v3 froze the same rows as v2: nothing changed between them
		const diff = await diffVersions(database.db, v2.id, v3.id);
		expect(diff.kinds.every((k) => k.added + k.removed + k.changed === 0)).toBe(true);
	});

	it('refuses to retry a version that is not failed', async () => {
		await expect(versions.retryVersion(database.db, v1.id, { id: null })).rejects.toThrow(/only a failed version can be retried/);
	});
});

describe('a version whose frozen rows were deleted before its files were written', () => {
	it('fails loudly instead of publishing fewer rows than it froze', async () => {
		const created = await versions.createVersion(database.db, datasetId, { id: null }, { undoSeconds: 60 });
		const [vote] = rowsOf<{ judgment_id: string }>(
			await database.db.execute(sql`select judgment_id from dataset_version_row where dataset_version_id = ${created.id} and kind = 'vote' limit 1`)
		);
		await database.db.execute(sql`delete from judgment where id = ${vote!.judgment_id}`);
		await runNext(database.db, 'spec-worker', { [versions.PUBLISH_JOB]: publishJobHandler(() => store) }, undefined, created.jobId);
		const version = await versions.getVersion(database.db, created.id);
		expect(version.status).toBe('failed');
		expect(version.error).toMatch(/votes\.jsonl: \d+ rows were frozen but only \d+ could be read: 1 of them have since been deleted/);
	});
});
