/**
 * The README.md of a dataset version: Hugging Face YAML front matter (configs,
 * data_files, features; tests/contracts/trl_examples/README.md) and a body that
 * says how the version was made. Built only from its input, so publishing the same
 * version twice gives the same bytes.
 */
import type { RowFileKind } from '../rows';
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
	const lines = ['---', ...yamlMap(frontMatter(input), ''), '---', '', ...body(input)];
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

type YamlScalar = string | number | boolean;
type YamlMap = { [key: string]: YamlScalar | YamlMap | (YamlScalar | YamlMap)[] };

const messageList = (name: string): YamlMap => ({
	name,
	list: [
		{ name: 'content', dtype: 'string' },
		{ name: 'role', dtype: 'string' }
	]
});

function features(kind: Config['kind'], margin: boolean): YamlMap[] {
	if (kind === 'sft') return [messageList('messages')];
	if (kind === 'prompt') return [messageList('prompt')];
	return [messageList('prompt'), messageList('chosen'), messageList('rejected'), ...(margin ? [{ name: 'margin', dtype: 'float64' }] : [])];
}

function sizeCategory(rows: number): string {
	const bounds: [number, string][] = [[1e3, 'n<1K'], [1e4, '1K<n<10K'], [1e5, '10K<n<100K'], [1e6, '100K<n<1M'], [1e7, '1M<n<10M']];
	return bounds.find(([limit]) => rows < limit)?.[1] ?? '10M<n<100M';
}

function frontMatter(input: CardInput): YamlMap {
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

/** Block YAML in the layout of the contract card: `key: value`, lists flush with their key. */
function yamlMap(map: YamlMap, indent: string): string[] {
	return Object.entries(map).flatMap(([key, value]) => {
		if (!Array.isArray(value) && typeof value !== 'object') return [`${indent}${yamlScalar(key)}: ${yamlScalar(value)}`];
		if (Array.isArray(value)) return value.length === 0 ? [`${indent}${yamlScalar(key)}: []`] : [`${indent}${yamlScalar(key)}:`, ...yamlList(value, indent)];
		return [`${indent}${yamlScalar(key)}:`, ...yamlMap(value, indent + '  ')];
	});
}

function yamlList(items: (YamlScalar | YamlMap)[], indent: string): string[] {
	return items.flatMap((item) => {
		if (typeof item !== 'object') return [`${indent}- ${yamlScalar(item)}`];
		const [first, ...rest] = yamlMap(item, indent + '  ');
		return first === undefined ? [`${indent}- {}`] : [`${indent}- ${first.trimStart()}`, ...rest];
	});
}

/** Words YAML 1.1 (PyYAML, which the Hub's tooling uses) reads as booleans or null when left plain. */
const yamlWords = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;

/**
 * Plain when it can only be read back as this same string; otherwise a JSON string, which
 * is a valid YAML double-quoted scalar once the characters YAML treats differently from
 * JSON (C1 controls, line and paragraph separators, BOM) are escaped too.
 */
function yamlScalar(value: YamlScalar): string {
	if (typeof value !== 'string') return String(value);
	if (/^[A-Za-z_][A-Za-z0-9_./*-]*$/.test(value) && !yamlWords.test(value)) return value;
	return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---- how it was made --------------------------------------------------------------------

const strengthWords = ['negligibly', 'slightly', 'clearly', 'much'] as const;

function describeSpec({ contents, filters, aggregation, margin, split }: DatasetSpec): string[] {
	const made = [
		contents.preferences && `preference pairs from annotators' judgments${filters.includeGoldEdits ? ', and from approved gold edits (the edit chosen over the reply it was made from)' : ''}`,
		contents.sft && 'approved gold examples as SFT `messages`',
		contents.prompts && 'every prompt of the persona, prompt-only, for PPO'
	].filter((part) => part !== false);
	const range = [filters.from && `from ${filters.from}`, filters.to && `to ${filters.to}`].filter(Boolean).join(' ');
	const days = range ? `made ${range} (UTC days, inclusive)` : 'of any date';
	const lines = [
		`- **Contents:** ${made.join('; ')}.`,
		`- **Filters:** judgments and gold approvals ${days}; ` +
			(filters.domains.length ? `prompt domains ${filters.domains.map((domain) => `\`${domain}\``).join(', ')}; ` : 'all prompt domains; ') +
			(filters.modelVersionIds.length ? `only pairs whose two candidates both come from the model versions ${filters.modelVersionIds.map((id) => `\`${id}\``).join(', ')}; ` : 'candidates of any model version; ') +
			(filters.excludeAnnotatorIds.length ? `the work of ${filters.excludeAnnotatorIds.length} annotator(s) left out entirely.` : 'no annotator left out.')
	];
	if (!contents.preferences) return [...lines, splitLine(split)];
	lines.push(
		aggregation.mode === 'majority'
			? `- **Aggregation:** one row per pair, the candidate most votes preferred as \`chosen\`; pairs with as many votes for a as for b ${aggregation.ties === 'drop' ? 'are dropped' : 'go to the side with the greater summed strength, and are dropped if that is equal too'}.`
			: '- **Aggregation:** one row per judgment that chose a or b, so a pair judged by several annotators can appear several times.',
		'  `tie` and `both_off_persona` judgments make no preference row; they stay in `votes.jsonl`.',
		filters.minAgreement > 0
			? `- **Agreement:** a pair with more than one vote is kept only when at least ${Math.round(filters.minAgreement * 1000) / 10} % of its votes agree with the winner.`
			: '- **Agreement:** no minimum; every pair with a winner is kept.'
	);
	if (!margin.enabled) return [...lines, '- **Margin:** none; preference rows have no `margin` column.', splitLine(split)];
	return [
		...lines,
		`- **Margin:** TRL's \`margin\` column, from the strength of the preference${aggregation.mode === 'majority' ? ' (a majority row averages the margins of its winning votes)' : ''}:`,
		'',
		'  | strength | margin |',
		'  | --- | ---: |',
		...margin.byStrength.map((value, index) => `  | ${index + 1}, ${strengthWords[index]} better | ${value} |`),
		...(filters.includeGoldEdits ? [`  | approved gold edit | ${margin.goldEdit} |`] : []),
		'',
		splitLine(split)
	];
}

function splitLine({ testPercent, seed }: DatasetSpec['split']): string {
	if (testPercent === 0) return '- **Split:** no test split; every prompt is in `train`.';
	return `- **Split:** ${testPercent} % of prompts (not rows) are held out as \`test\`, chosen from the seed ${markdownText(JSON.stringify(seed))}; all rows of one prompt share a split, so no prompt is in both. Another seed holds out other prompts.`;
}

// ---- body ---------------------------------------------------------------------------------

/** Names and paths come from admins: keep them from turning into Markdown. */
function markdownText(text: string): string {
	return text.replace(/[\\`*_{}[\]<>#|!]/g, '\\$&').replace(/\r?\n/g, ' ');
}

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
		'Annotators appear only as pseudonyms, the same for one person in every dataset and version; no names or e-mail addresses are published.'
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
