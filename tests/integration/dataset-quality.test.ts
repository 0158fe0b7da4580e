import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text as streamText, buffer as streamBuffer } from 'node:stream/consumers';
import { eq, sql } from 'drizzle-orm';
import { parquetReadObjects } from 'hyparquet';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes, type VoteFixture } from '../support/judgments';
import { insertSnapshot } from '../support/quality-snapshots';
import { rowsOf } from '../../src/lib/server/db';
import { datasetVersion, qualitySnapshot } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { buildVersion } from '../../src/lib/server/datasets/publish';
import { parseManifest, type Manifest } from '../../src/lib/server/datasets/manifest';
import { datasetSpecSchema, defaultSpec, type DatasetSpec } from '../../src/lib/server/datasets/spec';
import * as stats from '../../src/lib/server/quality/stats';
import { computeSnapshot } from '../../src/lib/server/quality/compute';
import { createLocalStore, type ObjectStore } from '../../src/lib/server/storage';
import { previewVersion } from '../../src/lib/server/datasets/preview';
import { datasetFields } from '../../src/lib/server/datasets/pages';
import * as runtime from '../../src/lib/server/runtime';
import { actions } from '../../src/routes/admin/datasets/[id]/+page.server';
import { requestEvent } from '../support/request-event';

/**
 * Datasets and quality: the quality filters leave out exactly the judgments of
 * the annotators a snapshot measures as unreliable (and the version keeps that
 * list forever), gold checks never become preference rows, and a version's
 * card and manifest report the α of exactly the votes it holds.
 */

let database: TestDatabase;
let store: ObjectStore;
let folder: string;
let personaId: string;
let pairs: string[];
let promptOf: Map<string, string>;
/** careful A, B, C; D fails checks; E is new (two checks, both wrong) */
let people: Record<'A' | 'B' | 'C' | 'D' | 'E', string>;
const judgmentsOf = new Map<string, string[]>();
let made = 0;

async function vote(fixtures: Array<Omit<VoteFixture, 'annotatorId'> & { by: keyof typeof people }>): Promise<void> {
	const ids = await addVotes(database.db, fixtures.map(({ by, ...v }) => ({ ...v, annotatorId: people[by] })));
	fixtures.forEach((f, i) => judgmentsOf.set(f.by, [...(judgmentsOf.get(f.by) ?? []), ids[i]!]));
}

async function createDataset(change: (spec: DatasetSpec) => void = () => {}, persona = personaId): Promise<string> {
	const spec = defaultSpec();
	change(spec);
	const input = { name: `q${++made}`, slug: `q${made}`, description: '', spec: datasetSpecSchema.parse(spec) };
	return (await definitions.createDataset(database.db, persona, input, { id: null })).id;
}

async function freeze(change: (spec: DatasetSpec) => void = () => {}): Promise<{ id: string; votes: string[]; kinds: Record<string, string[]> }> {
	const created = await versions.createVersion(database.db, await createDataset(change), { id: null }, { undoSeconds: 60 });
	const rows = rowsOf<{ kind: string; key: string }>(
		await database.db.execute(sql`select kind, coalesce(judgment_id, pair_id, gold_example_id, prompt_id)::text as key
			from dataset_version_row where dataset_version_id = ${created.id} order by kind, key`)
	);
	const kinds: Record<string, string[]> = {};
	for (const row of rows) (kinds[row.kind] ??= []).push(row.key);
	return { id: created.id, votes: kinds.vote ?? [], kinds };
}

async function publish(change: (spec: DatasetSpec) => void = () => {}): Promise<{ version: versions.DatasetVersion; manifest: Manifest }> {
	const created = await versions.createVersion(database.db, await createDataset(change), { id: null }, { undoSeconds: 60 });
	const manifest = await buildVersion(database.db, store, created.id);
	return { version: await versions.getVersion(database.db, created.id), manifest };
}

async function jsonl(key: string): Promise<Array<Record<string, unknown>>> {
	return (await streamText(await store.get(key))).split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	folder = await mkdtemp(path.join(tmpdir(), 'dataset-quality-'));
	store = createLocalStore(folder);
	personaId = (await createPersonaWithPairs(database.db, { pairs: 12, overlap: 5, slug: `dq-${crypto.randomUUID().slice(0, 6)}` })).personaId;
	const users = await createUsers(database.db, 5);
	people = { A: users[0]!.id, B: users[1]!.id, C: users[2]!.id, D: users[3]!.id, E: users[4]!.id };
	const rows = rowsOf<{ id: string; prompt_id: string }>(await database.db.execute(sql`select id, prompt_id from pair where persona_id = ${personaId} order by created_at`));
	pairs = rows.map((r) => r.id);
	promptOf = new Map(rows.map((r) => [r.id, r.prompt_id]));
	// Pairs 4 and 5 are gold checks (expected a and b); each is its prompt's only pair.
	await database.db.execute(sql`update pair set known_answer = 'a' where id = ${pairs[4]!}`);
	await database.db.execute(sql`update pair set known_answer = 'b' where id = ${pairs[5]!}`);
	const p = (i: number) => pairs[i]!;
	await vote([
		{ pairId: p(0), by: 'A', choice: 'a', strength: 4 },
		{ pairId: p(0), by: 'B', choice: 'a', strength: 2 },
		{ pairId: p(0), by: 'C', choice: 'b', strength: 1 },
		{ pairId: p(0), by: 'D', choice: 'b', strength: 3 },
		{ pairId: p(1), by: 'A', choice: 'b', strength: 2 },
		{ pairId: p(1), by: 'B', choice: 'b', strength: 3 },
		{ pairId: p(1), by: 'D', choice: 'a', strength: 1 },
		{ pairId: p(2), by: 'A', choice: 'tie' },
		{ pairId: p(2), by: 'C', choice: 'both_off_persona' },
		{ pairId: p(2), by: 'D', choice: 'a', strength: 2 },
		{ pairId: p(3), by: 'E', choice: 'a', strength: 1 },
		{ pairId: p(3), by: 'C', choice: 'a', strength: 4 },
		{ pairId: p(4), by: 'A', choice: 'a', strength: 3 },
		{ pairId: p(4), by: 'B', choice: 'a', strength: 3 },
		{ pairId: p(4), by: 'D', choice: 'b', strength: 3 },
		{ pairId: p(4), by: 'E', choice: 'b', strength: 3 },
		{ pairId: p(5), by: 'C', choice: 'b', strength: 2 },
		{ pairId: p(5), by: 'D', choice: 'a', strength: 2 },
		{ pairId: p(5), by: 'E', choice: 'tie' }
	]);
	await insertSnapshot(database.db, personaId, [
		{ annotatorId: people.A, votes: 4, checkAnswers: 20, checkCorrect: 19, sharedPairs: 30, agreements: 26 },
		{ annotatorId: people.B, votes: 3, checkAnswers: 20, checkCorrect: 18, sharedPairs: 30, agreements: 24 },
		{ annotatorId: people.C, votes: 4, checkAnswers: 20, checkCorrect: 17, sharedPairs: 30, agreements: 12, flags: ['position_bias'] },
		{ annotatorId: people.D, votes: 5, checkAnswers: 20, checkCorrect: 10, sharedPairs: 30, agreements: 20 },
		{ annotatorId: people.E, votes: 3, checkAnswers: 2, checkCorrect: 0, sharedPairs: 2, agreements: 0 }
	], new Date(Date.now() - 60_000));
});

afterAll(async () => {
	await runtime.stop();
	if (folder) await rm(folder, { recursive: true, force: true });
});

const sorted = (ids: string[]) => [...ids].sort();

describe('quality filters in a dataset definition', () => {
	it("leave out exactly the judgments of the annotators the snapshot measures below the threshold, and nothing else", async () => {
		const everyone = await freeze();
		const filtered = await freeze((spec) => {
			spec.quality.minCheckAccuracy = 0.7;
			spec.quality.minEvidence = 10;
		});
		expect(sorted(filtered.votes)).toEqual(sorted(everyone.votes.filter((id) => !judgmentsOf.get('D')!.includes(id))));
		expect(everyone.votes.length - filtered.votes.length).toBe(judgmentsOf.get('D')!.length);
		// their gold examples and the prompts are not judgments: untouched
		expect(filtered.kinds.prompt).toEqual(everyone.kinds.prompt);
	});

	it('keep a newcomer whose figures rest on less evidence than the minimum', async () => {
		const filtered = await freeze((spec) => {
			spec.quality.minCheckAccuracy = 0.7;
			spec.quality.minAgreement = 0.5;
			spec.quality.minEvidence = 10;
		});
		expect(filtered.votes).toEqual(expect.arrayContaining(judgmentsOf.get('E')!));
		const [version] = await database.db.select().from(datasetVersion).where(eq(datasetVersion.id, filtered.id));
		const resolved = datasetSpecSchema.parse(version!.spec).quality.resolved!;
		// C's agreement is 12 / 30 = 0.4: left out for agreement; D for checks; E (2 checks, 2 shared pairs) kept
		expect(resolved.excluded.map((one) => [one.annotatorId, one.reasons])).toEqual(
			sorted([people.C, people.D]).map((id) => [id, id === people.C ? ['agreement'] : ['check_accuracy']])
		);
		const lowered = await freeze((spec) => {
			spec.quality.minCheckAccuracy = 0.7;
			spec.quality.minEvidence = 2;
		});
		expect(lowered.votes.filter((id) => judgmentsOf.get('E')!.includes(id))).toEqual([]);
	});

	it('leave out anyone flagged, or only those with a chosen flag', async () => {
		const withoutC = (votes: string[]) => votes.filter((id) => judgmentsOf.get('C')!.includes(id));
		expect(withoutC((await freeze((spec) => (spec.quality.flagged = 'any'))).votes)).toEqual([]);
		expect(withoutC((await freeze((spec) => Object.assign(spec.quality, { flagged: 'chosen', flags: ['position_bias'] }))).votes)).toEqual([]);
		expect(withoutC((await freeze((spec) => Object.assign(spec.quality, { flagged: 'chosen', flags: ['too_fast'] }))).votes)).toHaveLength(4);
	});

	it('record in the frozen spec the snapshot, its time and who it left out, with the figures that decided it', async () => {
		const { version, manifest } = await publish((spec) => (spec.quality.minCheckAccuracy = 0.7));
		const resolved = version.spec.quality.resolved!;
		expect(resolved.snapshotId).toMatch(/^[0-9a-f-]{36}$/);
		expect(resolved.excluded).toEqual([
			{ annotatorId: people.D, reasons: ['check_accuracy'], votes: 5, checkAnswers: 20, checkAccuracy: 0.5, sharedPairs: 30, agreement: 20 / 30, flags: [] }
		]);
		expect(manifest.definition.quality.resolved).toEqual(resolved);
		// recorded as written, so training need not download the manifest again to know its hash
		const bytes = await streamBuffer(await store.get(`${version.objectPrefix}manifest.json`));
		expect(version.manifestSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
		expect(manifest.quality!.snapshot).toEqual({ id: resolved.snapshotId, computed_at: resolved.computedAt });
		expect(manifest.quality!.excluded).toEqual([expect.objectContaining({ annotator: expect.stringMatching(/^annotator-[0-9a-f]{12}$/), reasons: ['check_accuracy'], votes: 5 })]);
	});

	it('refuse to publish while a filter is on and the persona has no quality snapshot, naming the field', async () => {
		const bare = (await createPersonaWithPairs(database.db, { pairs: 2, overlap: 1, slug: `dq-bare-${crypto.randomUUID().slice(0, 6)}` })).personaId;
		const id = await createDataset((spec) => (spec.quality.flagged = 'any'), bare);
		await expect(versions.createVersion(database.db, id, { id: null }, { undoSeconds: 60 })).rejects.toMatchObject({ field: 'spec.quality', message: expect.stringMatching(/no quality figures yet|none yet/i) });
		expect(await versions.listVersions(database.db, id)).toEqual([]);
	});
});

describe('a published version and gold checks', () => {
	let published: { version: versions.DatasetVersion; manifest: Manifest };
	const checkPrompts = () => [promptOf.get(pairs[4]!)!, promptOf.get(pairs[5]!)!];

	beforeAll(async () => {
		published = await publish((spec) => (spec.split.testPercent = 40));
	});

	it('never puts a check into a preference file, in any split or format, whatever the aggregation', async () => {
		const everyVote = await publish((spec) => {
			spec.split.testPercent = 40;
			spec.aggregation.mode = 'every_vote';
		});
		for (const { version, manifest } of [published, everyVote]) {
			const files = manifest.files.filter((file) => file.kind === 'preference');
			expect(files.map((file) => file.path).sort()).toEqual(['preference/test.jsonl', 'preference/test.parquet', 'preference/train.jsonl', 'preference/train.parquet']);
			let rows = 0;
			for (const file of files) {
				const read =
					file.format === 'jsonl'
						? await jsonl(version.objectPrefix + file.path)
						: await (async () => {
								const bytes = await streamBuffer(await store.get(version.objectPrefix + file.path));
								return parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
							})();
				rows += read.length;
				for (const prompt of checkPrompts()) expect(JSON.stringify(read)).not.toContain(prompt);
			}
			expect(rows).toBeGreaterThan(0);
		}
	});

	it('leaves a prompt made only of checks out of the prompt files', async () => {
		const prompts = [...(await jsonl(`${published.version.objectPrefix}prompts/train.jsonl`)), ...(await jsonl(`${published.version.objectPrefix}prompts/test.jsonl`))];
		expect(prompts).toHaveLength(10);
		const texts = rowsOf<{ content: string }>(await database.db.execute(sql`select messages->0->>'content' as content from prompt where id in (${checkPrompts()[0]!}, ${checkPrompts()[1]!})`));
		for (const { content } of texts) expect(prompts.map((row) => JSON.stringify(row))).not.toContain(JSON.stringify({ prompt: [{ role: 'user', content }] }));
	});

	it('reports check judgments in votes.jsonl, flagged with the expected answer, and every other judgment as no check', async () => {
		const votes = await jsonl(`${published.version.objectPrefix}votes.jsonl`);
		expect(votes).toHaveLength(19);
		const checks = votes.filter((v) => v.check === true);
		expect(checks.map((v) => [v.pair_id, v.expected]).sort()).toEqual(
			[...Array(4).fill([pairs[4], 'a']), ...Array(3).fill([pairs[5], 'b'])].sort()
		);
		expect(votes.filter((v) => v.check === false).every((v) => v.expected === null && v.pair_id !== pairs[4] && v.pair_id !== pairs[5])).toBe(true);
	});

	it('reports in its manifest and card the α and raw agreement of exactly the votes it holds, and its check accuracy', async () => {
		const votes = (await jsonl(`${published.version.objectPrefix}votes.jsonl`)).filter((v) => v.check === false);
		const byPair = new Map<string, Array<Record<string, unknown>>>();
		for (const v of votes) byPair.set(String(v.pair_id), [...(byPair.get(String(v.pair_id)) ?? []), v]);
		const codes = { a: 0, b: 1, tie: 2, both_off_persona: 3 } as const;
		const nominal = [...byPair.values()].map((unit) => unit.map((v) => codes[v.choice as keyof typeof codes]));
		const ordinal = [...byPair.values()].map((unit) =>
			unit.filter((v) => v.choice !== 'both_off_persona').map((v) => (v.choice === 'a' ? Number(v.strength) : v.choice === 'b' ? -Number(v.strength) : 0))
		);
		const quality = published.manifest.quality!;
		expect(quality.votes).toEqual({ judgments: 12, pairs: 4, annotators: 5 });
		expect(quality.alpha_nominal.value).toBeCloseTo(stats.alpha(nominal, 'nominal').value!, 12);
		expect(quality.alpha_ordinal.value).toBeCloseTo(stats.alpha(ordinal, 'ordinal').value!, 12);
		expect(quality.raw_agreement.value).toBeCloseTo(stats.rawAgreement(nominal).value!, 12);
		// checks: A, B right on pair 4; C right on pair 5; D, E wrong on both → 3 of 7
		expect(quality.checks).toMatchObject({ answers: 7, correct: 3 });
		expect(quality.checks.accuracy).toBeCloseTo(3 / 7, 12);
		const interval = stats.wilson(3, 7);
		expect(quality.checks).toMatchObject({ low: interval.low, high: interval.high });
		const card = await streamText(await store.get(`${published.version.objectPrefix}README.md`));
		expect(card).toContain(`| Krippendorff's α, nominal (a, b, tie, both off-persona) | ${quality.alpha_nominal.value!.toFixed(3)} |`);
		expect(card).toContain('| check accuracy (3 of 7 answered checks, pooled) | 42.9 % |');
		expect(card).toMatch(/never make a preference row, in any split or format/);
	});

	it('writes the same files when rebuilt after a newer snapshot would leave out someone else', async () => {
		const { version, manifest } = await publish((spec) => (spec.quality.minCheckAccuracy = 0.7));
		const newer = await insertSnapshot(database.db, personaId, [{ annotatorId: people.A, votes: 4, checkAnswers: 20, checkCorrect: 1 }]);
		// as a retry would find it: the rows frozen, the files to be written again (into an empty store)
		await database.db.update(datasetVersion).set({ status: 'failed', manifest: null }).where(eq(datasetVersion.id, version.id));
		const elsewhere = await mkdtemp(path.join(tmpdir(), 'dataset-quality-rebuild-'));
		onTestFinished(() => database.db.delete(qualitySnapshot).where(eq(qualitySnapshot.id, newer)).then(() => undefined));
		try {
			const rebuilt = await buildVersion(database.db, createLocalStore(elsewhere), version.id);
			expect(rebuilt).toEqual(manifest);
			const again = await streamText(await createLocalStore(elsewhere).get(`${version.objectPrefix}manifest.json`));
			expect(parseManifest(again, 'rebuilt').files).toEqual(manifest.files);
		} finally {
			await rm(elsewhere, { recursive: true, force: true });
		}
	});
});

describe('the dataset page', () => {
	it('previews what the next version will contain: who the filters leave out and why, with their votes, and what remains', async () => {
		const change = (spec: DatasetSpec) => (spec.quality.minCheckAccuracy = 0.7);
		const id = await createDataset(change);
		const preview = await previewVersion(database.db, await definitions.getDataset(database.db, id), { undoSeconds: 60 });
		expect(preview.problem).toBeNull();
		expect(preview.snapshot?.computedAt).toBeInstanceOf(Date);
		// D: 3 votes on pairs 0–2 and 2 check answers in scope, all left out
		expect(preview.excluded).toEqual([expect.objectContaining({ annotatorId: people.D, reasons: ['check_accuracy'], votesInScope: 3, checksInScope: 2 })]);
		expect(preview.votes).toEqual({ kept: 9, leftOut: 5, checks: 5 });
		// the same counts as the version publishing now freezes
		const frozen = await freeze(change);
		expect(frozen.votes).toHaveLength(preview.votes.kept + preview.votes.checks);
		expect(frozen.kinds.preference ?? []).toHaveLength(preview.preferenceRows!);
		expect(preview.pairs).toBe(4);
	});

	it('refuses a bad quality filter with a 400 naming the field, keeping what was typed', async () => {
		const id = await createDataset();
		const admin = { id: people.A, email: 'admin@example.com', displayName: 'Admin', role: 'admin' as const };
		const fields = Object.entries(datasetFields({ ...(await definitions.getDataset(database.db, id)), spec: defaultSpec() })).filter(([name]) => name !== 'slug');
		const post = async (change: Record<string, string>) => {
			const form = new FormData();
			for (const [name, value] of fields) for (const one of Array.isArray(value) ? value : [value]) if (one !== '') form.append(name, one);
			for (const [name, value] of Object.entries(change)) form.set(name, value);
			const event = requestEvent(`/admin/datasets/${id}?/update`, { form, user: admin, routeId: '/admin/datasets/[id]', params: { id } });
			return (await actions.update!(event)) as { status: number; data: { errors: Record<string, string>; values: Record<string, unknown> } };
		};
		const numbers = await post({ 'spec.quality.minCheckAccuracy': '1.5', 'spec.quality.minEvidence': 'many' });
		expect(numbers.status).toBe(400);
		expect(Object.keys(numbers.data.errors).sort()).toEqual(['spec.quality.minCheckAccuracy', 'spec.quality.minEvidence']);
		expect(numbers.data.values['spec.quality.minCheckAccuracy']).toBe('1.5');
		const noFlag = await post({ 'spec.quality.flagged': 'chosen' });
		expect(noFlag.status).toBe(400);
		expect(noFlag.data.errors).toEqual({ 'spec.quality.flags': expect.stringMatching(/choose at least one flag/) });
		const unknownFlag = await post({ 'spec.quality.flagged': 'chosen', 'spec.quality.flags': 'sloppy' });
		expect(Object.keys(unknownFlag.data.errors)).toEqual(['spec.quality.flags.0']);
		expect((await definitions.getDataset(database.db, id)).spec.quality.minCheckAccuracy).toBe(0);
	});
});

describe('with a snapshot the refresh job computed', () => {
	it("leaves out exactly the judgments of those whose measured check accuracy is too low", async () => {
		// measured from the votes above: D and E answered both checks wrongly; A, B and C answered one each, rightly
		const id = await computeSnapshot(database.db, personaId);
		onTestFinished(() => database.db.delete(qualitySnapshot).where(eq(qualitySnapshot.id, id)).then(() => undefined));
		const everyone = await freeze();
		const filtered = await freeze((spec) => {
			spec.quality.minCheckAccuracy = 0.7;
			spec.quality.minEvidence = 2;
		});
		const gone = [...judgmentsOf.get('D')!, ...judgmentsOf.get('E')!];
		expect(sorted(filtered.votes)).toEqual(sorted(everyone.votes.filter((vote) => !gone.includes(vote))));
		const [version] = await database.db.select().from(datasetVersion).where(eq(datasetVersion.id, filtered.id));
		const resolved = datasetSpecSchema.parse(version!.spec).quality.resolved!;
		expect(resolved.snapshotId).toBe(id);
		expect(resolved.excluded.map((one) => [one.annotatorId, one.checkAnswers, one.checkAccuracy])).toEqual(sorted([people.D, people.E]).map((who) => [who, 2, 0]));
	});
});
