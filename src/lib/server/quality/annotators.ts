import type { qualityAnnotator } from '../db/schema';
import type { QualityFigures } from './figures';
import type { QualitySettings } from './settings';
import type { AnnotatorCounts } from './annotator-sql';
import { binomialTest, flagAnnotator, wilson, type AnnotatorFigures } from './stats';

export type AnnotatorRow = Omit<typeof qualityAnnotator.$inferInsert, 'snapshotId'>;

const rate = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/** An annotator's counts as the figures `flagAnnotator` and the quality table read: rates, intervals, tests. */
export function annotatorFigures(counts: AnnotatorCounts): AnnotatorFigures {
	const agreement = wilson(counts.agreements, counts.sharedPairs);
	const check = wilson(counts.checkCorrect, counts.checkAnswers);
	return {
		votes: counts.votes,
		sharedPairs: counts.sharedPairs,
		agreements: counts.agreements,
		agreement: agreement.value,
		agreementLow: agreement.low,
		agreementHigh: agreement.high,
		checkAnswers: counts.checkAnswers,
		checkCorrect: counts.checkCorrect,
		checkAccuracy: check.value,
		checkLow: check.low,
		checkHigh: check.high,
		abVotes: counts.abVotes,
		leftPicks: counts.leftPicks,
		leftShare: rate(counts.leftPicks, counts.abVotes),
		leftPValue: binomialTest(counts.leftPicks, counts.abVotes),
		medianMs: counts.medianMs,
		fastVotes: counts.fastVotes,
		longestRun: counts.longestRun,
		tieRate: rate(counts.ties, counts.votes),
		offRate: rate(counts.offs, counts.votes),
		strengthModeShare: rate(counts.strengthMode, counts.abVotes)
	};
}

/** The crowd's rates and time, from the same counts (every vote counts once, checks included). */
export function crowdFigures(all: readonly AnnotatorCounts[], medianMs: number | null): QualityFigures['crowd'] {
	const votes = all.reduce((sum, a) => sum + a.votes, 0);
	return {
		tieRate: rate(all.reduce((sum, a) => sum + a.ties, 0), votes),
		offRate: rate(all.reduce((sum, a) => sum + a.offs, 0), votes),
		medianMs
	};
}

/** Position bias of the whole crowd: left picks among a/b votes on pairs without a known answer. */
export function crowdPositionBias(all: readonly AnnotatorCounts[], settings: QualitySettings): QualityFigures['positionBias'] {
	const abVotes = all.reduce((sum, a) => sum + a.abVotes, 0);
	const leftPicks = all.reduce((sum, a) => sum + a.leftPicks, 0);
	const pValue = binomialTest(leftPicks, abVotes);
	return {
		abVotes,
		leftPicks,
		share: rate(leftPicks, abVotes),
		pValue,
		flagged: abVotes >= settings.minVotes && pValue !== null && pValue < settings.significance
	};
}

/** One `quality_annotator` row per annotator, flags included. */
export function annotatorRows(all: readonly AnnotatorCounts[], crowd: QualityFigures['crowd'], settings: QualitySettings): AnnotatorRow[] {
	return all.map((counts) => {
		const figures = annotatorFigures(counts);
		return { annotatorId: counts.annotatorId, ...figures, flags: flagAnnotator(figures, crowd, settings) };
	});
}
