import type { QualityFlag } from '$lib/server/db/schema';
import type { ExclusionReason } from '$lib/server/datasets/spec';

/** Each quality flag in the admin's words (the rules: docs/architecture.md, "Quality: metrics and flags"). */
export const flagLabels: Record<QualityFlag, string> = {
	low_check_accuracy: 'low check accuracy',
	low_agreement: 'low agreement with the others',
	position_bias: 'position bias (picks one side)',
	too_fast: 'too fast to have read both replies',
	same_answer_runs: 'long runs of the same answer',
	tie_rate: 'tie rate far from the crowd',
	off_rate: 'off-persona rate far from the crowd',
	same_strength: 'always the same strength'
};

export const reasonLabels: Record<ExclusionReason, string> = {
	check_accuracy: 'check accuracy',
	agreement: 'agreement',
	flags: 'flags'
};

/** 0.734 → "73.4 %"; null (nothing to measure) → "—". */
export function percentText(share: number | null): string {
	return share === null ? '—' : `${(share * 100).toFixed(1)} %`;
}
