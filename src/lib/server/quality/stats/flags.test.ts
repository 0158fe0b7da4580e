import { describe, expect, it } from 'vitest';
import { defaultQualitySettings } from '../settings';
import { flagAnnotator, type AnnotatorFigures } from './flags';
import { binomialTest } from './proportion';

const settings = defaultQualitySettings();
const crowd = { tieRate: 0.25, offRate: 0.125 };

/** A careful annotator with plenty of votes: nothing to flag. */
const careful: AnnotatorFigures = {
	votes: 200,
	sharedPairs: 150,
	agreements: 120,
	agreement: 0.8,
	agreementLow: 0.73,
	agreementHigh: 0.86,
	checkAnswers: 20,
	checkCorrect: 18,
	checkAccuracy: 0.9,
	checkLow: 0.7,
	checkHigh: 0.97,
	abVotes: 130,
	leftPicks: 66,
	leftShare: 66 / 130,
	leftPValue: 0.93,
	medianMs: 25_000,
	fastVotes: 4,
	longestRun: 5,
	tieRate: 0.25,
	offRate: 0.125,
	strengthModeShare: 0.5
};

const flags = (changes: Partial<AnnotatorFigures>) => flagAnnotator({ ...careful, ...changes }, crowd, settings);

describe('flagAnnotator', () => {
	it('flags nothing in a careful annotator', () => {
		expect(flags({})).toEqual([]);
	});

	it('flags check accuracy below minCheckAccuracy, once minCheckAnswers checks are answered', () => {
		expect(flags({ checkAnswers: 10, checkCorrect: 6 })).toEqual(['low_check_accuracy']);
		expect(flags({ checkAnswers: 10, checkCorrect: 7 })).toEqual([]);
		expect(flags({ checkAnswers: 9, checkCorrect: 0 })).toEqual([]);
	});

	it('flags agreement with the majority below minAgreement, over at least minVotes shared pairs', () => {
		expect(flags({ sharedPairs: 30, agreements: 14 })).toEqual(['low_agreement']);
		expect(flags({ sharedPairs: 30, agreements: 15 })).toEqual([]);
		expect(flags({ sharedPairs: 29, agreements: 0 })).toEqual([]);
	});

	it('flags position bias exactly when the binomial test is significant, over at least minVotes a/b votes', () => {
		for (let leftPicks = 0; leftPicks <= 30; leftPicks++) {
			const significant = binomialTest(leftPicks, 30)! < settings.significance;
			expect(flags({ abVotes: 30, leftPicks })).toEqual(significant ? ['position_bias'] : []);
		}
		// At 30 votes the 1 % level falls between 22 left picks (p = 0.016) and 23 (p = 0.0052), and mirrored.
		expect(flags({ abVotes: 30, leftPicks: 23 })).toEqual(['position_bias']);
		expect(flags({ abVotes: 30, leftPicks: 22 })).toEqual([]);
		expect(flags({ abVotes: 30, leftPicks: 7 })).toEqual(['position_bias']);
		expect(flags({ abVotes: 29, leftPicks: 29 })).toEqual([]);
	});

	it('reads the significance level from the settings', () => {
		const lenient = { ...settings, significance: 0.05 };
		expect(flagAnnotator({ ...careful, abVotes: 30, leftPicks: 22 }, crowd, lenient)).toEqual(['position_bias']);
	});

	it('flags a share of fast votes above maxFastShare, over at least minVotes votes', () => {
		expect(flags({ votes: 30, fastVotes: 7 })).toEqual(['too_fast']);
		expect(flags({ votes: 30, fastVotes: 6 })).toEqual([]);
		expect(flags({ votes: 29, fastVotes: 29 })).toEqual([]);
	});

	it('flags a run of maxRun identical answers or more', () => {
		expect(flags({ longestRun: settings.maxRun })).toEqual(['same_answer_runs']);
		expect(flags({ longestRun: settings.maxRun - 1 })).toEqual([]);
	});

	it('flags a tie or off-persona rate further than maxRateDeviation from the crowd’s, either way', () => {
		expect(flags({ tieRate: 0.625 })).toEqual(['tie_rate']);
		expect(flags({ tieRate: 0, offRate: 0.5 })).toEqual(['off_rate']);
		// Exactly maxRateDeviation (0.25) away is not further than it.
		expect(flags({ tieRate: 0.5, offRate: 0.375 })).toEqual([]);
		expect(flags({ votes: 29, tieRate: 1, offRate: 1 })).toEqual([]);
	});

	it('compares no rate when the crowd has none', () => {
		expect(flagAnnotator({ ...careful, tieRate: 1 }, { tieRate: null, offRate: null }, settings)).toEqual([]);
	});

	it('flags the same strength on maxSameStrengthShare of a/b votes or more, over at least minVotes of them', () => {
		expect(flags({ abVotes: 30, leftPicks: 15, strengthModeShare: 0.95 })).toEqual(['same_strength']);
		expect(flags({ abVotes: 30, leftPicks: 15, strengthModeShare: 0.94 })).toEqual([]);
		expect(flags({ abVotes: 29, leftPicks: 15, strengthModeShare: 1 })).toEqual([]);
		expect(flags({ abVotes: 0, leftPicks: 0, strengthModeShare: null })).toEqual([]);
	});

	it('lists every flag earned, in the order of qualityFlags', () => {
		const spammer = { checkAnswers: 20, checkCorrect: 5, longestRun: 40, leftPicks: 130, strengthModeShare: 1 };
		expect(flags(spammer)).toEqual(['low_check_accuracy', 'position_bias', 'same_answer_runs', 'same_strength']);
	});
});
