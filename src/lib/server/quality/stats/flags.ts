import { qualityFlags, type QualityFlag, type qualityAnnotator } from '../../db/schema';
import type { QualitySettings } from '../settings';
import { binomialTest } from './proportion';

/** An annotator's figures in a snapshot: the numeric columns of `quality_annotator`. */
export type AnnotatorFigures = Omit<typeof qualityAnnotator.$inferSelect, 'snapshotId' | 'annotatorId' | 'flags'>;

/** The crowd's rates the annotator's are compared with (null when the crowd gave no votes). */
export interface CrowdRates {
	tieRate: number | null;
	offRate: number | null;
}

type Rule = (figures: AnnotatorFigures, crowd: CrowdRates, settings: QualitySettings) => boolean;

/**
 * Each flag's rule, as defined in docs/architecture.md ("Quality: metrics and
 * flags"). Shares are recomputed from the counts rather than read from the
 * nullable columns, so a rule cannot disagree with the counts it reports.
 * Every rule needs its `min*` count first: too few votes prove nothing.
 */
const rules: Record<QualityFlag, Rule> = {
	low_check_accuracy: (f, _, s) =>
		f.checkAnswers >= s.minCheckAnswers && f.checkCorrect / f.checkAnswers < s.minCheckAccuracy,
	low_agreement: (f, _, s) => f.sharedPairs >= s.minVotes && f.agreements / f.sharedPairs < s.minAgreement,
	position_bias: (f, _, s) => f.abVotes >= s.minVotes && (binomialTest(f.leftPicks, f.abVotes) ?? 1) < s.significance,
	too_fast: (f, _, s) => f.votes >= s.minVotes && f.fastVotes / f.votes > s.maxFastShare,
	same_answer_runs: (f, _, s) => f.longestRun >= s.maxRun,
	tie_rate: (f, crowd, s) => f.votes >= s.minVotes && farFrom(f.tieRate, crowd.tieRate, s.maxRateDeviation),
	off_rate: (f, crowd, s) => f.votes >= s.minVotes && farFrom(f.offRate, crowd.offRate, s.maxRateDeviation),
	same_strength: (f, _, s) =>
		f.abVotes >= s.minVotes && f.strengthModeShare !== null && f.strengthModeShare >= s.maxSameStrengthShare
};

/** Which flags an annotator's figures earn, given the crowd and the persona's settings; in `qualityFlags` order. */
export function flagAnnotator(figures: AnnotatorFigures, crowd: CrowdRates, settings: QualitySettings): QualityFlag[] {
	return qualityFlags.filter((flag) => rules[flag](figures, crowd, settings));
}

function farFrom(rate: number | null, crowdRate: number | null, maxDeviation: number): boolean {
	return rate !== null && crowdRate !== null && Math.abs(rate - crowdRate) > maxDeviation;
}
