/**
 * The "Quality" part of a dataset card: the figures of the votes the version
 * holds and who its quality filters left out (datasets/version-quality.ts).
 * Built only from its input, with fixed rounding, so a rebuild gives the same bytes.
 */
import { INSTRUCTGPT_AGREEMENT } from '../../quality/figures';
import type { VersionQuality } from '../version-quality';

const decimals = (value: number | null, digits = 3): string => (value === null ? '—' : value.toFixed(digits));
const percent = (value: number | null): string => (value === null ? '—' : `${(value * 100).toFixed(1)} %`);
const interval = (low: number | null, high: number | null, show: (value: number | null) => string): string =>
	low === null || high === null ? '—' : `${show(low)} – ${show(high)}`;

const reasonWords = {
	check_accuracy: (one: VersionQuality['excluded'][number]) => `check accuracy ${percent(one.check_accuracy)} on ${one.check_answers} checks`,
	agreement: (one: VersionQuality['excluded'][number]) => `agreement ${percent(one.agreement)} on ${one.shared_pairs} shared pairs`,
	flags: (one: VersionQuality['excluded'][number]) => `flagged ${one.flags.map((flag) => `\`${flag}\``).join(', ')}`
};

function excludedTable(quality: VersionQuality): string[] {
	if (!quality.snapshot) return [];
	const heading = ['', '### Left out by the quality filters', ''];
	if (!quality.excluded.length) return [...heading, `Nobody: no annotator's figures in the quality snapshot of ${quality.snapshot.computed_at} met a filter.`];
	return [
		...heading,
		`As the quality snapshot of ${quality.snapshot.computed_at} measured them (votes: all their judgments then):`,
		'',
		'| annotator | votes | why |',
		'| --- | ---: | --- |',
		...quality.excluded.map((one) => `| ${one.annotator} | ${one.votes} | ${one.reasons.map((reason) => reasonWords[reason](one)).join('; ')} |`)
	];
}

export function qualitySection(quality: VersionQuality | undefined): string[] {
	if (!quality) return [];
	const { votes, checks } = quality;
	return [
		'## Quality',
		'',
		`Measured when the version was published, over the ${votes.judgments} judgment(s) in \`votes.jsonl\` that are not gold checks ` +
			`(${votes.pairs} pair(s), ${votes.annotators} annotator(s)); intervals are 95 % (bootstrap over pairs; Wilson for check accuracy).`,
		'',
		'| measure | value | 95 % interval |',
		'| --- | ---: | --- |',
		`| Krippendorff's α, nominal (a, b, tie, both off-persona) | ${decimals(quality.alpha_nominal.value)} | ${interval(quality.alpha_nominal.low, quality.alpha_nominal.high, decimals)} |`,
		`| Krippendorff's α, ordinal (signed strength −4 … +4, tie 0) | ${decimals(quality.alpha_ordinal.value)} | ${interval(quality.alpha_ordinal.low, quality.alpha_ordinal.high, decimals)} |`,
		`| raw agreement (pairs of votes on one pair that agree) | ${percent(quality.raw_agreement.value)} | ${interval(quality.raw_agreement.low, quality.raw_agreement.high, percent)} |`,
		`| check accuracy (${checks.correct} of ${checks.answers} answered checks, pooled) | ${percent(checks.accuracy)} | ${interval(checks.low, checks.high, percent)} |`,
		'',
		`For comparison, InstructGPT reports ${percent(INSTRUCTGPT_AGREEMENT)} agreement among its trained labelers.`,
		...excludedTable(quality),
		''
	];
}
