import type { QualityFlag } from '$lib/server/db/schema';
import type { QualitySettings } from '$lib/server/quality/settings';
import { percent } from '$lib/format';

// Types only from $lib/server: nothing of the server reaches the browser bundle.

/** A flag's short name in the table. */
export const flagLabels: Record<QualityFlag, string> = {
	low_check_accuracy: 'checks missed',
	low_agreement: 'low agreement',
	position_bias: 'position bias',
	too_fast: 'too fast',
	same_answer_runs: 'same-answer runs',
	tie_rate: 'tie rate',
	off_rate: 'off-persona rate',
	same_strength: 'same strength'
};

/** What a flag means, with the persona's thresholds it was raised by (rules: docs/architecture.md, "Quality"). */
export function flagMeaning(flag: QualityFlag, s: QualitySettings): string {
	switch (flag) {
		case 'low_check_accuracy':
			return `Check accuracy below ${percent(s.minCheckAccuracy, 0)} over at least ${s.minCheckAnswers} answered checks: they miss pairs whose answer is known.`;
		case 'low_agreement':
			return `Agrees with the majority of the others on the same pairs less than ${percent(s.minAgreement, 0)} of the time (at least ${s.minVotes} shared pairs).`;
		case 'position_bias':
			return `Picks the reply shown on the left more or less often than chance allows (two-sided binomial test, p < ${s.significance}, at least ${s.minVotes} a/b votes).`;
		case 'too_fast':
			return `More than ${percent(s.maxFastShare, 0)} of their votes came faster than reading both replies at ${s.maxWordsPerSecond} words per second allows.`;
		case 'same_answer_runs':
			return `Gave the same answer ${s.maxRun} or more times in a row.`;
		case 'tie_rate':
			return `Their tie rate is more than ${percent(s.maxRateDeviation, 0)} away from the crowd's.`;
		case 'off_rate':
			return `Their "both off persona" rate is more than ${percent(s.maxRateDeviation, 0)} away from the crowd's.`;
		case 'same_strength':
			return `Used the same strength on ${percent(s.maxSameStrengthShare, 0)} or more of their a/b votes.`;
	}
}
