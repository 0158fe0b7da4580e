/**
 * The "How it was made" part of a dataset card: the frozen definition in
 * words. Built only from its input (formats/card.ts).
 */
import type { DatasetSpec } from '../spec';

/** Names and paths come from admins: keep them from turning into Markdown. */
export function markdownText(text: string): string {
	return text.replace(/[\\`*_{}[\]<>#|!]/g, '\\$&').replace(/\r?\n/g, ' ');
}

const strengthWords = ['negligibly', 'slightly', 'clearly', 'much'] as const;

const percent = (share: number): string => `${Math.round(share * 1000) / 10} %`;

/** The quality filters as set, and what they came to when the version was frozen. */
function qualityLine({ quality }: DatasetSpec): string {
	const rules = [
		quality.minCheckAccuracy > 0 && `check accuracy below ${percent(quality.minCheckAccuracy)} (once ${quality.minEvidence} checks are answered)`,
		quality.minAgreement > 0 && `agreement with the other annotators' majority below ${percent(quality.minAgreement)} (once ${quality.minEvidence} pairs are shared)`,
		quality.flagged === 'any' && 'any quality flag',
		quality.flagged === 'chosen' && `a quality flag among ${quality.flags.map((flag) => `\`${flag}\``).join(', ')}`
	].filter((rule) => rule !== false);
	if (!rules.length) return '- **Quality filters:** none; no annotator is left out for their quality figures.';
	const resolved = quality.resolved;
	const outcome = resolved?.computedAt
		? ` Resolved once, at freeze, against the quality snapshot of ${resolved.computedAt}: ${resolved.excluded.length} annotator(s) left out (see Quality).`
		: '';
	return `- **Quality filters:** the judgments of annotators with ${rules.join('; or ')} are left out (their gold examples stay).${outcome}`;
}

function evaluationLine({ includeEvaluation }: DatasetSpec['filters']): string {
	return includeEvaluation
		? '- **Evaluation votes:** included: judgments on evaluation rounds\' pairs (blind comparisons of model versions) are rows like any other, and prompts typed in arena mode are prompt rows.'
		: '- **Evaluation votes:** left out: judgments on evaluation rounds\' pairs (blind comparisons of model versions) make no row in any file, and prompts typed in arena mode make no prompt row.';
}

export function describeSpec(spec: DatasetSpec): string[] {
	const { contents, filters, aggregation, margin, split } = spec;
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
			(filters.excludeAnnotatorIds.length ? `the work of ${filters.excludeAnnotatorIds.length} annotator(s) left out entirely.` : 'no annotator left out.'),
		qualityLine(spec),
		evaluationLine(filters)
	];
	if (!contents.preferences) return [...lines, splitLine(split)];
	lines.push(
		aggregation.mode === 'majority'
			? `- **Aggregation:** one row per pair, the candidate most votes preferred as \`chosen\`; pairs with as many votes for a as for b ${aggregation.ties === 'drop' ? 'are dropped' : 'go to the side with the greater summed strength, and are dropped if that is equal too'}.`
			: '- **Aggregation:** one row per judgment that chose a or b, so a pair judged by several annotators can appear several times.',
		'  `tie` and `both_off_persona` judgments make no preference row; they stay in `votes.jsonl`.',
		'- **Gold checks:** pairs with a known answer (honeypots mixed into the queue) never make a preference row, in any split or format, and prompts made only of checks make no prompt or SFT row; their judgments are in `votes.jsonl`, marked `"check": true` with the `expected` answer.',
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

