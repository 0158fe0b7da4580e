import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes } from '../support/judgments';
import { rowsOf } from '../../src/lib/server/db';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { datasetSpecSchema, defaultSpec, type DatasetSpec } from '../../src/lib/server/datasets/spec';

let database: TestDatabase;
let personaId: string;
let pairs: string[];
let promptOf: Map<string, string>;
let people: [string, string, string, string];
let made = 0;

type Frozen = { kind: string; split: string; prompt_id: string; pair_id: string | null; judgment_id: string | null; chosen: string | null; margin: number | null; votes_for: number | null; votes_total: number | null };

/** Freezes a version of a fresh dataset with `change` applied to the default spec; returns its rows. */
async function freeze(change: (spec: DatasetSpec) => void = () => {}, undoSeconds = 60): Promise<Frozen[]> {
	const spec = defaultSpec();
	change(spec);
	const { id } = await definitions.createDataset(database.db, personaId, { name: `d${++made}`, slug: `d${made}`, description: '', spec: datasetSpecSchema.parse(spec) }, { id: null });
	const version = await versions.createVersion(database.db, id, { id: null }, { undoSeconds });
	return rowsOf<Frozen>(
		await database.db.execute(sql`
			select r.kind, r.split, r.prompt_id, r.pair_id, r.judgment_id, c.text as chosen, r.margin, r.votes_for, r.votes_total
			from dataset_version_row r left join candidate c on c.id = r.chosen_candidate_id
			where r.dataset_version_id = ${version.id} order by r.kind, r.position`)
	);
}

const preferences = (rows: Frozen[]) => rows.filter((r) => r.kind === 'preference');
const ofPair = (rows: Frozen[], index: number) => preferences(rows).filter((r) => r.pair_id === pairs[index]);

beforeAll(async () => {
	database = await createTestDatabase();
	personaId = (await createPersonaWithPairs(database.db, { pairs: 200, overlap: 4, slug: `freeze-${crypto.randomUUID().slice(0, 6)}` })).personaId;
	people = (await createUsers(database.db, 4)).map((u) => u.id) as typeof people;
	const rows = rowsOf<{ id: string; prompt_id: string }>(await database.db.execute(sql`select id, prompt_id from pair where persona_id = ${personaId} order by created_at`));
	pairs = rows.map((r) => r.id);
	promptOf = new Map(rows.map((r) => [r.id, r.prompt_id]));
	const [a, b, c, d] = people;
	await addVotes(database.db, [
		// 0: 2 a (strength 4, 2) vs 1 b → a, 2 of 3
		{ pairId: pairs[0]!, annotatorId: a, choice: 'a', strength: 4 },
		{ pairId: pairs[0]!, annotatorId: b, choice: 'a', strength: 2 },
		{ pairId: pairs[0]!, annotatorId: c, choice: 'b', strength: 1 },
		// 1: one a, one b, b stronger → a tie by count
		{ pairId: pairs[1]!, annotatorId: a, choice: 'a', strength: 1 },
		{ pairId: pairs[1]!, annotatorId: b, choice: 'b', strength: 4 },
		// 2: a single b
		{ pairId: pairs[2]!, annotatorId: a, choice: 'b', strength: 3 },
		// 3: both off persona and a tie: no preference at all
		{ pairId: pairs[3]!, annotatorId: a, choice: 'both_off_persona' },
		{ pairId: pairs[3]!, annotatorId: b, choice: 'tie' },
		// 4: only by the annotator who gets excluded
		{ pairId: pairs[4]!, annotatorId: d, choice: 'a', strength: 2 },
		// 5: made just now, still undoable
		{ pairId: pairs[5]!, annotatorId: a, choice: 'a', strength: 2, at: new Date() },
		// 6: made in March
		{ pairId: pairs[6]!, annotatorId: a, choice: 'b', strength: 2, at: new Date('2026-03-10T12:00:00Z') }
	]);
});

afterAll(async () => {
	await database?.close();
});

describe('freezing a dataset version', () => {
	it('aggregates by majority: one row per pair, the winner chosen, margins averaged over its votes', async () => {
		const rows = await freeze();
		expect(ofPair(rows, 0)).toEqual([expect.objectContaining({ chosen: expect.stringMatching(/^A: /), margin: 1.25, votes_for: 2, votes_total: 3 })]);
		expect(ofPair(rows, 2)).toEqual([expect.objectContaining({ chosen: expect.stringMatching(/^B: /), margin: 1, votes_for: 1, votes_total: 1 })]);
		expect(ofPair(rows, 1)).toEqual([]); // equal votes, ties dropped
		expect(ofPair(rows, 3)).toEqual([]); // tie and both-off-persona say nothing about which is better
	});

	it('breaks equal votes by summed strength when asked to', async () => {
		const rows = await freeze((spec) => (spec.aggregation.ties = 'strength'));
		expect(ofPair(rows, 1)).toEqual([expect.objectContaining({ chosen: expect.stringMatching(/^B: /), margin: 2, votes_for: 1, votes_total: 2 })]);
	});

	it('keeps every a/b vote as its own row when aggregation is every_vote, each with its own margin', async () => {
		const rows = await freeze((spec) => (spec.aggregation.mode = 'every_vote'));
		expect(ofPair(rows, 0).map((r) => [r.chosen!.slice(0, 1), r.margin]).sort()).toEqual([['A', 0.5], ['A', 2], ['B', 0.25]]);
		expect(ofPair(rows, 0).every((r) => r.judgment_id)).toBe(true);
		expect(ofPair(rows, 3)).toEqual([]);
	});

	it('drops pairs below the minimum agreement, but not single-vote pairs', async () => {
		const rows = await freeze((spec) => (spec.filters.minAgreement = 0.7));
		expect(ofPair(rows, 0)).toEqual([]);
		expect(ofPair(rows, 2)).toHaveLength(1);
	});

	it('leaves out judgments that can still be undone, excluded annotators, and days outside the range', async () => {
		const all = await freeze();
		expect(ofPair(all, 5)).toEqual([]);
		expect(ofPair(all, 4)).toHaveLength(1);
		expect(ofPair(all, 6)).toHaveLength(1);
		expect(ofPair(await freeze(() => {}, 0), 5)).toHaveLength(1);
		const excluded = await freeze((spec) => (spec.filters.excludeAnnotatorIds = [people[3]]));
		expect(ofPair(excluded, 4)).toEqual([]);
		expect(excluded.filter((r) => r.kind === 'vote' && r.pair_id === pairs[4])).toEqual([]);
		const april = await freeze((spec) => (spec.filters.from = '2026-04-01'));
		expect(ofPair(april, 6)).toEqual([]);
		const march = await freeze((spec) => {
			spec.filters.from = '2026-03-10';
			spec.filters.to = '2026-03-10';
		});
		expect(preferences(march).map((r) => r.pair_id)).toEqual([pairs[6]]);
	});

	it('filters by domain and by model version', async () => {
		expect(preferences(await freeze((spec) => (spec.filters.domains = ['latin'])))).toEqual([]);
		expect(preferences(await freeze((spec) => (spec.filters.domains = ['chat'])))).not.toEqual([]);
		expect(preferences(await freeze((spec) => (spec.filters.modelVersionIds = [crypto.randomUUID()])))).toEqual([]);
	});

	it('writes margins only when the spec asks for them', async () => {
		const rows = await freeze((spec) => (spec.margin.enabled = false));
		expect(preferences(rows).every((r) => r.margin === null)).toBe(true);
	});

	it('splits by prompt, the same way every time, and puts every vote in its prompt’s split', async () => {
		const first = await freeze((spec) => (spec.split.testPercent = 30));
		const again = await freeze((spec) => (spec.split.testPercent = 30));
		// rows are numbered train first, so compare which prompts are held out, not the labels in order
		const heldOut = (rows: Frozen[]) => rows.filter((r) => r.kind === 'prompt' && r.split === 'test').map((r) => r.prompt_id).sort();
		expect(heldOut(first)).toEqual(heldOut(again));
		const test = heldOut(first).length;
		expect(test).toBeGreaterThan(40);
		expect(test).toBeLessThan(80);
		const splitOfPair = new Map(preferences(first).map((r) => [r.pair_id, r.split]));
		for (const vote of first.filter((r) => r.kind === 'vote')) expect(vote.split).toBe(splitOfPair.get(vote.pair_id) ?? vote.split);
		const reseeded = await freeze((spec) => {
			spec.split.testPercent = 30;
			spec.split.seed = 'another';
		});
		expect(heldOut(reseeded)).not.toEqual(heldOut(first));
		expect(promptOf.size).toBe(200);
	});

	it('numbers versions per dataset, each pointing at the last published one as its parent', async () => {
		const { id } = await definitions.createDataset(database.db, personaId, { name: 'numbered', slug: 'numbered', description: '', spec: defaultSpec() }, { id: null });
		const one = await versions.createVersion(database.db, id, { id: null }, { undoSeconds: 60 });
		const two = await versions.createVersion(database.db, id, { id: null }, { undoSeconds: 60 });
		expect([one.version, two.version]).toEqual([1, 2]);
		expect((await versions.getVersion(database.db, two.id)).parentVersionId).toBeNull(); // v1 is not published (no worker ran)
		const listed = await versions.listVersions(database.db, id);
		expect(listed.map((v) => [v.version, v.status])).toEqual([[2, 'building'], [1, 'building']]);
	});

	it('freezes the outcome: votes cast later do not change an earlier version’s rows', async () => {
		const before = await freeze();
		const { id } = await definitions.createDataset(database.db, personaId, { name: 'later', slug: 'later', description: '', spec: defaultSpec() }, { id: null });
		const v1 = await versions.createVersion(database.db, id, { id: null }, { undoSeconds: 60 });
		const read = async () => rowsOf<{ chosen_candidate_id: string }>(await database.db.execute(sql`select chosen_candidate_id from dataset_version_row where dataset_version_id = ${v1.id} and kind = 'preference' order by position`));
		const frozen = await read();
		await addVotes(database.db, [
			{ pairId: pairs[2]!, annotatorId: people[1], choice: 'a', strength: 4 },
			{ pairId: pairs[2]!, annotatorId: people[2], choice: 'a', strength: 4 }
		]);
		expect(await read()).toEqual(frozen);
		expect(ofPair(await freeze(), 2)[0]!.chosen).not.toBe(ofPair(before, 2)[0]!.chosen);
	});
});
