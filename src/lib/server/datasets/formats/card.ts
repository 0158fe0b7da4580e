/**
 * The README.md of a dataset version: Hugging Face YAML front matter (configs,
 * data_files, features; tests/contracts/trl_examples/README.md) and a body that
 * says how the version was made. Built only from its input, so publishing the same
 * version twice gives the same bytes.
 */
import { Document, visit } from 'yaml';
import type { RowFileKind } from '../rows';
import { describeSpec, markdownText } from './card-spec';
import { qualitySection } from './card-quality';
import type { VersionQuality } from '../version-quality';
import type { DatasetSpec, Split } from '../spec';

/** A file of the version as the manifest lists it; `card` entries and null row counts are allowed and left out of configs. */
export type CardFile = { path: string; kind: RowFileKind | 'card'; split: Split | null; rows: number | null; bytes: number; sha256: string };

export type CardInput = {
	persona: { name: string; slug: string };
	dataset: { name: string; slug: string };
	version: number;
	parentVersion: number | null;
	spec: DatasetSpec;
	/** Every file of the version but README.md and manifest.json; JSONL files become the card's data_files. */
	files: CardFile[];
	/** Frozen rows by kind and split, as the manifest has them (`vote`: individual judgments by their prompt's split). */
	counts: Record<RowFileKind, Record<Split, number>> & {
		/** Distinct annotators behind the judgments, when known. */
		annotators?: number;
	};
	/** α, agreement and check accuracy of the version's votes, and who the quality filters left out. */
	quality?: VersionQuality;
	/** ISO time the version was frozen: the card never reads the clock. */
	createdAt: string;
	appVersion: string;
	/** A Hugging Face license id; `other` until an admin says otherwise. */
	license?: string;
};

/** The configs a card can declare, in the order it declares them, and the file kind each reads. */
const configs = [
	{ name: 'preferences', kind: 'preference', label: 'preference pairs' },
	{ name: 'sft', kind: 'sft', label: 'SFT examples' },
	{ name: 'prompts', kind: 'prompt', label: 'prompts (prompt-only)' }
] as const;
type Config = (typeof configs)[number];

export function datasetCard(input: CardInput): string {
	const lines = ['---', frontMatterYaml(frontMatter(input)).trimEnd(), '---', '', ...body(input)];
	return lines.join('\n').trimEnd() + '\n';
}

/** The configs this version has data for, each with its JSONL files in split order. */
function presentConfigs(files: CardFile[]): { config: Config; files: CardFile[] }[] {
	const splitOrder = (file: CardFile): number => (file.split === 'test' ? 1 : 0);
	return configs
		.map((config) => ({
			config,
			// An empty split file stays in the version (and the manifest) but not in data_files: `datasets` refuses a split with no rows.
			files: files
				.filter((file) => file.kind === config.kind && file.path.endsWith('.jsonl') && (file.rows ?? 0) > 0)
				.sort((a, b) => splitOrder(a) - splitOrder(b))
		}))
		.filter(({ files }) => files.length > 0);
}

// ---- front matter -------------------------------------------------------------------------

type FrontMatter = Record<string, unknown>;

const messageList = (name: string): FrontMatter => ({
	name,
	list: [
		{ name: 'content', dtype: 'string' },
		{ name: 'role', dtype: 'string' }
	]
});

function features(kind: Config['kind'], margin: boolean): FrontMatter[] {
	if (kind === 'sft') return [messageList('messages')];
	if (kind === 'prompt') return [messageList('prompt')];
	return [messageList('prompt'), messageList('chosen'), messageList('rejected'), ...(margin ? [{ name: 'margin', dtype: 'float64' }] : [])];
}

function sizeCategory(rows: number): string {
	const bounds: [number, string][] = [[1e3, 'n<1K'], [1e4, '1K<n<10K'], [1e5, '10K<n<100K'], [1e6, '100K<n<1M'], [1e7, '1M<n<10M']];
	return bounds.find(([limit]) => rows < limit)?.[1] ?? '10M<n<100M';
}

function frontMatter(input: CardInput): FrontMatter {
	const present = presentConfigs(input.files);
	const splitName = (file: CardFile): string => file.split ?? 'train';
	const bytesOf = (files: CardFile[]): number => files.reduce((sum, file) => sum + file.bytes, 0);
	const rows = present.flatMap(({ files }) => files).reduce((sum, file) => sum + (file.rows ?? 0), 0);
	return {
		license: input.license ?? 'other',
		pretty_name: `${input.dataset.name} v${input.version}`,
		task_categories: ['text-generation'],
		tags: ['trl', 'rlhf', 'codelynn'],
		size_categories: [sizeCategory(rows)],
		configs: present.map(({ config, files }, index) => ({
			config_name: config.name,
			// load_dataset(repo) without a config name needs one marked default.
			...(index === 0 ? { default: true } : {}),
			data_files: files.map((file) => ({ split: splitName(file), path: file.path }))
		})),
		dataset_info: present.map(({ config, files }) => ({
			config_name: config.name,
			features: features(config.kind, input.spec.margin.enabled),
			splits: files.map((file) => ({ name: splitName(file), num_bytes: file.bytes, num_examples: file.rows ?? 0 })),
			download_size: bytesOf(files),
			dataset_size: bytesOf(files)
		}))
	};
}

/** Characters YAML 1.1 (PyYAML, which the Hub's tooling uses) reads as line breaks or drops, even inside quotes. */
const yamlAwkward = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

/**
 * Block YAML in the layout of the contract card (lists flush with their key), by the
 * `yaml` library with the YAML 1.1 schema, so words PyYAML reads as booleans are quoted.
 * A string holding a line break or a character YAML 1.1 treats differently from JSON is
 * written double-quoted, and those characters escaped, so it reads back as itself.
 */
function frontMatterYaml(map: FrontMatter): string {
	const document = new Document(map, { version: '1.1' });
	visit(document, {
		Scalar(_, node) {
			if (typeof node.value === 'string' && /[\n\r\t\u007f-\u009f\u2028\u2029\ufeff]/.test(node.value)) node.type = 'QUOTE_DOUBLE';
		}
	});
	const text = document.toString({ indentSeq: false, lineWidth: 0, blockQuote: false, doubleQuotedAsJSON: true });
	return text.replace(yamlAwkward, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---- body ---------------------------------------------------------------------------------

function body(input: CardInput): string[] {
	const { persona, dataset, version, parentVersion, counts } = input;
	const present = presentConfigs(input.files);
	const hasVotes = input.files.some((file) => file.kind === 'vote');
	return [
		`# ${markdownText(dataset.name)}, version ${version}`,
		'',
		`RLHF data in the voice of the persona **${markdownText(persona.name)}** (\`${persona.slug}\`), made with codeLynn Studio ${markdownText(input.appVersion)}: ` +
			`version ${version} of the dataset \`${dataset.slug}\`, frozen at ${input.createdAt}. ` +
			(parentVersion === null ? 'It is the first version.' : `It follows version ${parentVersion}.`),
		'',
		`Rows are in TRL's conversational formats, as JSONL (the configs below read those)` +
			(input.files.some((file) => file.path.endsWith('.parquet')) ? '; the `.parquet` files hold the same rows.' : '.'),
		'',
		'## How it was made',
		'',
		...describeSpec(input.spec),
		'',
		'## Counts',
		'',
		'| rows | train | test |',
		'| --- | ---: | ---: |',
		...present.map(({ config }) => `| ${config.label} | ${counts[config.kind].train} | ${counts[config.kind].test} |`),
		...(hasVotes ? [`| judgments in \`votes.jsonl\` | ${counts.vote.train} | ${counts.vote.test} |`] : []),
		...(counts.annotators === undefined ? [] : ['', `${counts.annotators} annotator(s) made these judgments.`]),
		'',
		'## Files',
		'',
		'| path | rows | bytes | sha256 |',
		'| --- | ---: | ---: | --- |',
		...input.files.map((file) => `| ${markdownText(file.path)} | ${file.rows ?? ''} | ${file.bytes} | \`${file.sha256}\` |`),
		'',
		...qualitySection(input.quality),
		...loading(present, input.spec.margin.enabled),
		...(hasVotes ? votesSection : [])
	];
}

const votesSection = [
	'## Votes',
	'',
	'`votes.jsonl` holds every individual judgment behind the preference rows, unaggregated: the pair, both candidates and their models, ' +
		'the choice (`a`, `b`, `tie`, `both_off_persona`), its strength (1 negligibly … 4 much better, none for a tie or off-persona), ' +
		'which candidate was shown on the left (for position bias), how long the judgment took, and the split of its prompt. ' +
		'Annotators appear only as pseudonyms, the same for one person in every dataset and version; no names or e-mail addresses are published. ' +
		'A judgment on a gold check carries `"check": true` and the `expected` answer (the answer a careful annotator gives); every other judgment has `"check": false` and `"expected": null`.'
];

function loading(present: { config: Config; files: CardFile[] }[], margin: boolean): string[] {
	if (present.length === 0) return [];
	const dataFiles = (files: CardFile[]): string => `{${files.map((file) => `"${file.split ?? 'train'}": ${JSON.stringify(file.path)}`).join(', ')}}`;
	const preference = present.find(({ config }) => config.kind === 'preference');
	return [
		'## Loading',
		'',
		'From a copy of this folder (on the Hugging Face Hub, `load_dataset(repo_id, "preferences")` and so on read the configs above):',
		'',
		'```python',
		'from datasets import load_dataset',
		'',
		...present.map(({ config, files }) => `${config.name} = load_dataset("json", data_files=${dataFiles(files)})`),
		'```',
		'',
		...(preference
			? [
					`A reward model with TRL's \`RewardTrainer\`, which takes conversational preference rows with an explicit prompt${margin ? ' and uses `margin` in its loss' : ''}:`,
					'',
					'```python',
					'from trl import RewardConfig, RewardTrainer',
					'',
					'trainer = RewardTrainer(',
					'    model="Qwen/Qwen3-0.6B",',
					'    args=RewardConfig(output_dir="reward-model"),',
					'    train_dataset=preferences["train"],',
					...(preference.files.some((file) => file.split === 'test') ? ['    eval_dataset=preferences["test"],'] : []),
					')',
					'trainer.train()',
					'```',
					''
				]
			: [])
	];
}
