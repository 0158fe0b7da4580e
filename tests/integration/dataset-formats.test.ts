import { parquetMetadata, parquetReadObjects, parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { datasetCard, type CardFile, type CardInput } from '$lib/server/datasets/formats/card';
import { jsonlLine } from '$lib/server/datasets/formats/jsonl';
import { encodeParquet, type ParquetOptions } from '$lib/server/datasets/formats/parquet';
import type { Message, PreferenceRow, PromptRow, RowFileKind, RowOf, SftRow, VoteRow } from '$lib/server/datasets/rows';
import { defaultSpec, type DatasetSpec } from '$lib/server/datasets/spec';
import { readContract } from '../support/contracts';

const contractRows = (file: string): Record<string, unknown>[] =>
	readContract(`trl_examples/${file}`)
		.trim()
		.split('\n')
		.map((line) => JSON.parse(line) as Record<string, unknown>);

/** Every key in document order, depth first: equal lists mean the same keys in the same order at every level. */
function keyOrder(value: unknown, at = ''): string[] {
	if (Array.isArray(value)) return value.flatMap((item, index) => keyOrder(item, `${at}[${index}]`));
	if (value === null || typeof value !== 'object') return [];
	return Object.entries(value).flatMap(([key, item]) => [`${at}.${key}`, ...keyOrder(item, `${at}.${key}`)]);
}

/** Messages as the database hands them: content first, and with a field the files must not carry. */
const scrambled = (messages: Message[]): Message[] => messages.map(({ role, content }) => ({ content, role, id: 'x' }) as Message);

const preference = (i: number, margin?: number): PreferenceRow => ({
	prompt: [
		{ role: 'system', content: 'You are Lynn.' },
		{ role: 'user', content: `Question ${i}: what is 💡 in "Ü"?\nTwo lines.` }
	],
	chosen: [{ role: 'assistant', content: i % 7 === 0 ? '' : `Answer ${i} — plainly.\r\n\tTabbed 🐈‍⬛` }],
	rejected: [{ role: 'assistant', content: `Worse answer ${i}, with a "quote" and a \\ backslash.` }],
	...(margin === undefined ? {} : { margin })
});

const vote = (i: number): VoteRow => ({
	judgment_id: `j-${i}`,
	pair_id: `p-${i}`,
	prompt_id: `q-${i % 3}`,
	domain: 'german',
	annotator: `annotator-${i % 2}`,
	choice: i % 2 ? 'a' : 'tie',
	strength: i % 2 ? 4 : null,
	candidate_a_id: `a-${i}`,
	candidate_b_id: `b-${i}`,
	model_a: 'lynn-v1',
	model_b: 'lynn-v2',
	left: i % 2 ? 'b' : 'a',
	duration_ms: i % 3 ? 1500 + i : null,
	split: i % 5 ? 'train' : 'test',
	created_at: `2026-02-0${1 + (i % 9)}T10:00:00.000Z`,
	check: i % 4 === 0,
	expected: i % 4 === 0 ? 'b' : null
});

async function encode<K extends RowFileKind>(kind: K, batches: RowOf<K>[][], options: ParquetOptions): Promise<ArrayBuffer> {
	const chunks: Uint8Array[] = [];
	for await (const chunk of encodeParquet(kind, batches, options)) chunks.push(chunk);
	return new Uint8Array(Buffer.concat(chunks)).buffer;
}

async function readBack(file: ArrayBuffer): Promise<{ metadata: FileMetaData; schema: SchemaTree; rows: Record<string, unknown>[] }> {
	const metadata = parquetMetadata(file);
	return { metadata, schema: parquetSchema(metadata), rows: await parquetReadObjects({ file }) };
}

const inBatchesOf = <T>(rows: T[], size: number): T[][] =>
	Array.from({ length: Math.ceil(rows.length / size) }, (_, index) => rows.slice(index * size, (index + 1) * size));

/** name(children…) down to the leaves, with each leaf's physical type: the shape pyarrow turns into Arrow types. */
function shapeOf(node: SchemaTree): string {
	const { name, type, repetition_type, converted_type } = node.element;
	const label = `${name}${repetition_type === 'REPEATED' ? '*' : ''}${converted_type === 'LIST' ? ':LIST' : ''}`;
	return node.children.length ? `${label}(${node.children.map(shapeOf).join(', ')})` : `${label}:${type}${converted_type === 'UTF8' ? '/UTF8' : ''}`;
}

const messageListShape = (name: string): string => `${name}:LIST(list*(element(content:BYTE_ARRAY/UTF8, role:BYTE_ARRAY/UTF8)))`;

describe('JSONL rows', () => {
	it('writes conversational explicit-prompt preference rows as the TRL contract has them, key by key', () => {
		for (const contract of contractRows('preference_conversational_explicit.jsonl')) {
			const row = contract as unknown as PreferenceRow;
			const line = jsonlLine({ margin: row.margin, rejected: scrambled(row.rejected), chosen: scrambled(row.chosen), prompt: scrambled(row.prompt) });
			expect(JSON.parse(line)).toEqual(contract);
			expect(keyOrder(JSON.parse(line))).toEqual(keyOrder(contract));
		}
	});

	it('writes SFT `messages` rows and prompt-only rows as the TRL contract has them, key by key', () => {
		for (const contract of contractRows('sft_conversational_messages.jsonl')) {
			const line = jsonlLine({ messages: scrambled((contract as unknown as SftRow).messages) });
			expect(JSON.parse(line)).toEqual(contract);
			expect(keyOrder(JSON.parse(line))).toEqual(keyOrder(contract));
		}
		for (const contract of contractRows('prompt_only_conversational.jsonl')) {
			const line = jsonlLine({ prompt: scrambled((contract as unknown as PromptRow).prompt) });
			expect(JSON.parse(line)).toEqual(contract);
			expect(keyOrder(JSON.parse(line))).toEqual(keyOrder(contract));
		}
	});

	it('writes one line per row, newlines and all, and leaves margin out when the row has none', () => {
		const line = jsonlLine(preference(1));
		expect(line.endsWith('\n')).toBe(true);
		expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
		expect(JSON.parse(line)).toEqual(preference(1));
		expect(Object.keys(JSON.parse(line))).toEqual(['prompt', 'chosen', 'rejected']);
	});

	it('gives the same bytes for the same row whatever order its keys came in', () => {
		const row = preference(3, 0.5);
		const shuffled = { margin: 0.5, rejected: scrambled(row.rejected), prompt: scrambled(row.prompt), chosen: scrambled(row.chosen) };
		expect(jsonlLine(shuffled)).toBe(jsonlLine(row));
		const votes = vote(1);
		expect(jsonlLine(Object.fromEntries(Object.entries(votes).reverse()) as VoteRow)).toBe(jsonlLine(votes));
	});

	it('refuses a margin JSON cannot hold instead of writing null', () => {
		expect(() => jsonlLine(preference(1, Number.NaN))).toThrow(/margin NaN/);
	});
});

describe('Parquet files', () => {
	it('declares message lists as list<struct<content, role>> and margin as DOUBLE', async () => {
		const { schema, metadata } = await readBack(await encode('preference', [[preference(1, 1)]], { margin: true }));
		expect(schema.children.map(shapeOf)).toEqual([...['prompt', 'chosen', 'rejected'].map(messageListShape), 'margin:DOUBLE']);
		expect(metadata.created_by).toBe('codeLynn Studio');
		const sft = await readBack(await encode('sft', [[{ messages: preference(1).prompt }]], { margin: false }));
		expect(sft.schema.children.map(shapeOf)).toEqual([messageListShape('messages')]);
		const prompts = await readBack(await encode('prompt', [[{ prompt: preference(1).prompt }]], { margin: false }));
		expect(prompts.schema.children.map(shapeOf)).toEqual([messageListShape('prompt')]);
	});

	it('has no margin column when margins are off', async () => {
		const { schema, rows } = await readBack(await encode('preference', [[preference(1), preference(2)]], { margin: false }));
		expect(schema.children.map((child) => child.element.name)).toEqual(['prompt', 'chosen', 'rejected']);
		expect(rows).toEqual([preference(1), preference(2)]);
	});

	it('reads back exactly the rows written: unicode, emoji, newlines, empty replies', async () => {
		const written = Array.from({ length: 50 }, (_, i) => preference(i, [0.25, 0.5, 1, 2][i % 4]));
		const { rows } = await readBack(await encode('preference', inBatchesOf(written, 8), { margin: true }));
		expect(rows).toEqual(written);
	});

	it('cuts 25,001 rows into row groups of 10,000 and loses none', async () => {
		const written = Array.from({ length: 25_001 }, (_, i) => preference(i, i / 4));
		const { metadata, rows } = await readBack(await encode('preference', inBatchesOf(written, 999), { margin: true }));
		expect(metadata.row_groups.map((group) => Number(group.num_rows))).toEqual([10_000, 10_000, 5_001]);
		expect(Number(metadata.num_rows)).toBe(25_001);
		expect(rows).toEqual(written);
	});

	it('closes a row group early when its text grows large, so long conversations do not balloon memory', async () => {
		const long = 'long reply. '.repeat(100_000);
		const written = Array.from({ length: 20 }, (_, i) => ({ ...preference(i, 1), chosen: [{ role: 'assistant' as const, content: `${i} ${long}` }] }));
		const { metadata, rows } = await readBack(await encode('preference', [written], { margin: true }));
		const groups = metadata.row_groups.map((group) => Number(group.num_rows));
		expect(groups.length).toBeGreaterThan(1);
		expect(groups.reduce((sum, rowsInGroup) => sum + rowsInGroup, 0)).toBe(20);
		expect(rows).toEqual(written);
	});

	it('writes the same bytes for the same rows, however they arrive in batches', async () => {
		const written = Array.from({ length: 2_500 }, (_, i) => preference(i, 1));
		const once = new Uint8Array(await encode('preference', inBatchesOf(written, 7), { margin: true, rowGroupSize: 1_000 }));
		const again = new Uint8Array(await encode('preference', inBatchesOf(written, 1_000), { margin: true, rowGroupSize: 1_000 }));
		expect(Buffer.compare(once, again)).toBe(0);
	});

	it('is a readable file with the whole schema when there are no rows', async () => {
		const file = await encode('preference', [], { margin: true });
		const { metadata, schema, rows } = await readBack(file);
		expect(rows).toEqual([]);
		expect(metadata.row_groups).toEqual([]);
		expect(schema.children.map(shapeOf)).toEqual([...['prompt', 'chosen', 'rejected'].map(messageListShape), 'margin:DOUBLE']);
		// num_rows 0, then row_groups as an empty list of structs (0x0c): parquet-rs rejects an untyped empty list.
		expect(Buffer.from(file).includes(Buffer.from([0x16, 0x00, 0x19, 0x0c]))).toBe(true);
	});

	it('hands out each row group as it is encoded and reads no further rows while it waits', async () => {
		let batchesRead = 0;
		async function* batches(): AsyncGenerator<PreferenceRow[]> {
			for (let start = 0; start < 1_000; start += 10) {
				batchesRead++;
				yield Array.from({ length: 10 }, (_, i) => preference(start + i, 1));
			}
		}
		const chunks = encodeParquet('preference', batches(), { margin: true, rowGroupSize: 100 });
		const first = await chunks.next();
		expect(first.done).toBe(false);
		expect(batchesRead).toBe(10);
		let rest = 0;
		for await (const chunk of chunks) rest += chunk.byteLength > 0 ? 1 : 0;
		// nine more row groups, then the footer
		expect(rest).toBe(10);
	});

	it('writes votes as flat columns in the order of the JSONL keys, strength and duration as nullable INT32', async () => {
		const written = Array.from({ length: 12 }, (_, i) => vote(i));
		const { schema, rows } = await readBack(await encode('vote', [written], { margin: false }));
		expect(schema.children.map((child) => child.element.name)).toEqual(Object.keys(JSON.parse(jsonlLine(vote(0)))));
		for (const name of ['strength', 'duration_ms'])
			expect(schema.children.find((child) => child.element.name === name)?.element).toMatchObject({ type: 'INT32', repetition_type: 'OPTIONAL' });
		expect(rows).toEqual(written);
	});

	it('refuses a preference row without a margin when the file has margins, naming the row', async () => {
		await expect(encode('preference', [[preference(1, 1), preference(2)]], { margin: true })).rejects.toThrow(/preference row 2 has margin undefined/);
	});
});

describe('dataset card', () => {
	const file = (filePath: string, kind: CardFile['kind'], split: CardFile['split'], rows: number): CardFile => ({
		path: filePath,
		kind,
		split,
		rows,
		bytes: rows * 321,
		sha256: 'c0ffee'.padEnd(64, '0')
	});
	const everyFile = [
		file('preference/train.jsonl', 'preference', 'train', 90),
		file('preference/test.jsonl', 'preference', 'test', 10),
		file('sft/train.jsonl', 'sft', 'train', 4),
		file('sft/test.jsonl', 'sft', 'test', 0),
		file('prompts/train.jsonl', 'prompt', 'train', 50),
		file('prompts/test.jsonl', 'prompt', 'test', 5),
		file('votes.jsonl', 'vote', null, 250),
		file('preference/train.parquet', 'preference', 'train', 90),
		file('preference/test.parquet', 'preference', 'test', 10)
	];
	const card = (overrides: Partial<CardInput> = {}, spec: DatasetSpec = defaultSpec()): string =>
		datasetCard({
			persona: { name: 'Lynn', slug: 'lynn' },
			dataset: { name: 'Lynn preferences', slug: 'lynn-prefs' },
			version: 3,
			parentVersion: 2,
			spec,
			files: everyFile,
			counts: { preference: { train: 90, test: 10 }, sft: { train: 4, test: 0 }, prompt: { train: 50, test: 5 }, vote: { train: 225, test: 25 }, annotators: 6 },
			createdAt: '2026-03-01T12:00:00.000Z',
			appVersion: '0.1.0',
			...overrides
		});
	const frontMatter = (text: string): string[] => {
		const lines = text.split('\n');
		expect(lines[0]).toBe('---');
		return lines.slice(1, lines.indexOf('---', 1));
	};
	/** The lines of one top-level block (`configs:`, `dataset_info:`) up to the next top-level key. */
	const block = (lines: string[], key: string): string[] => {
		const start = lines.indexOf(`${key}:`);
		const end = lines.findIndex((line, index) => index > start && /^[a-z_]+:/.test(line));
		return lines.slice(start, end === -1 ? undefined : end);
	};

	it('declares a config and data_files for each content the version has, pointing at its JSONL files, empty splits left out', () => {
		expect(block(frontMatter(card()), 'configs')).toEqual([
			'configs:',
			'- config_name: preferences',
			'  default: true',
			'  data_files:',
			'  - split: train',
			'    path: preference/train.jsonl',
			'  - split: test',
			'    path: preference/test.jsonl',
			'- config_name: sft',
			'  data_files:',
			'  - split: train',
			'    path: sft/train.jsonl',
			'- config_name: prompts',
			'  data_files:',
			'  - split: train',
			'    path: prompts/train.jsonl',
			'  - split: test',
			'    path: prompts/test.jsonl'
		]);
	});

	it('declares no config for content the version does not have', () => {
		const onlySft = frontMatter(card({ files: everyFile.filter((f) => f.kind === 'sft') }));
		expect(onlySft.filter((line) => line.includes('config_name:'))).toEqual(['- config_name: sft', '- config_name: sft']);
		const noSft = frontMatter(card({ files: everyFile.filter((f) => f.kind !== 'sft') }));
		expect(noSft.filter((line) => line.startsWith('- config_name:'))).toEqual([
			'- config_name: preferences',
			'- config_name: prompts',
			'- config_name: preferences',
			'- config_name: prompts'
		]);
	});

	it('declares no config whose every split is empty, though its files stay in the file table', () => {
		const noPreferences = card({ files: everyFile.map((f) => (f.kind === 'preference' ? { ...f, rows: 0 } : f)) });
		expect(frontMatter(noPreferences).filter((line) => line.startsWith('- config_name:'))).not.toContain('- config_name: preferences');
		expect(noPreferences).toContain('| preference/train.jsonl | 0 |');
	});

	it('describes preference features exactly as the contract card does, margin only when margins are on', () => {
		const featuresOf = (lines: string[]): string[] => {
			const start = lines.findIndex((line, index) => line === '- config_name: preferences' && lines[index + 1] === '  features:');
			return lines.slice(start, lines.indexOf('  splits:', start));
		};
		const contract = frontMatter(readContract('trl_examples/README.md'));
		expect(featuresOf(contract)).toHaveLength(22);
		expect(featuresOf(frontMatter(card()))).toEqual(featuresOf(contract));
		const spec = defaultSpec();
		spec.margin.enabled = false;
		const withoutMargin = featuresOf(frontMatter(card({}, spec)));
		expect(withoutMargin).toEqual(featuresOf(contract).filter((line) => !/margin|float64/.test(line)));
	});

	it('counts each split by its file: rows and bytes', () => {
		const info = block(frontMatter(card()), 'dataset_info');
		const preferenceSplits = info.slice(info.indexOf('  splits:', info.indexOf('- config_name: preferences')));
		expect(preferenceSplits.slice(0, 7)).toEqual([
			'  splits:',
			'  - name: train',
			'    num_bytes: 28890',
			'    num_examples: 90',
			'  - name: test',
			'    num_bytes: 3210',
			'    num_examples: 10'
		]);
	});

	it('is block YAML of keys and list items only, each nested two spaces deeper', () => {
		const lines = frontMatter(card());
		expect(lines.length).toBeGreaterThan(50);
		let previousIndent = 0;
		for (const line of lines) {
			expect(line).toMatch(/^( {2})*(- )?([a-z_]+:( .+)?|[^\s:][^:]*)$/);
			const indent = line.length - line.trimStart().length;
			expect(indent - previousIndent).toBeLessThanOrEqual(2);
			previousIndent = line.trimStart().startsWith('- ') ? indent + 2 : indent;
		}
	});

	it('quotes what YAML would misread, as JSON strings (which are YAML strings too)', () => {
		const name = 'Lynn: "dry" #1\nsecond line\u2028';
		const lines = frontMatter(card({ dataset: { name, slug: 'lynn-prefs' }, license: 'yes' }));
		expect(lines).toContain('license: "yes"');
		const prettyName = lines.find((line) => line.startsWith('pretty_name: '))!;
		expect(prettyName).not.toContain('\n');
		expect(JSON.parse(prettyName.slice('pretty_name: '.length))).toBe(`${name} v3`);
		expect(lines.slice(0, 2)).toEqual(['license: "yes"', prettyName]);
		expect(frontMatter(card())).toContain('license: other');
	});

	it('says how the version was made, what it holds and how to load it, the same text every time', () => {
		const text = card();
		expect(card()).toBe(text);
		expect(text).toContain('# Lynn preferences, version 3');
		expect(text).toContain('It follows version 2.');
		expect(card({ parentVersion: null })).toContain('It is the first version.');
		expect(text).toContain('frozen at 2026-03-01T12:00:00.000Z');
		expect(text).toMatch(/10 % of prompts \(not rows\) are held out as `test`/);
		expect(text).toContain('| 4, much better | 2 |');
		expect(text).toContain(`| preference/train.parquet | 90 | 28890 | \`${'c0ffee'.padEnd(64, '0')}\` |`);
		expect(text).toContain('preferences = load_dataset("json", data_files={"train": "preference/train.jsonl", "test": "preference/test.jsonl"})');
		expect(text).toContain('RewardTrainer(');
		expect(text).toContain('eval_dataset=preferences["test"]');
		expect(text).toMatch(/`votes.jsonl` holds every individual judgment[^\n]*pseudonyms/);
		expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
	});

	it('keeps names from turning into Markdown', () => {
		const text = card({ persona: { name: 'Lynn *the* | [best]', slug: 'lynn' } });
		expect(text).toContain('**Lynn \\*the\\* \\| \\[best\\]**');
	});
});
