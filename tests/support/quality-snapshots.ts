import { qualityAnnotator, qualitySnapshot, type QualityFlag } from '../../src/lib/server/db/schema';
import type { Db } from '../../src/lib/server/db';
import { defaultQualitySettings } from '../../src/lib/server/quality/settings';
import type { QualityFigures } from '../../src/lib/server/quality/figures';

/** The figures an annotator's row carries in a snapshot fixture; everything else is zero. */
export type AnnotatorFixture = {
	annotatorId: string;
	votes?: number;
	checkAnswers?: number;
	checkCorrect?: number;
	sharedPairs?: number;
	agreements?: number;
	flags?: QualityFlag[];
};

const noAlpha = { value: null, low: null, high: null, units: 0, pairable: 0 };
const noScope = { key: '', judgments: 0, alphaNominal: noAlpha, alphaOrdinal: noAlpha, rawAgreement: { value: null, low: null, high: null, comparisons: 0 } };

/** Crowd figures that parse and say nothing: dataset filters read only the annotators' rows. */
function emptyFigures(): QualityFigures {
	return {
		overall: noScope,
		byDomain: [],
		byWeek: [],
		positionBias: { abVotes: 0, leftPicks: 0, share: null, pValue: null, flagged: false },
		crowd: { tieRate: null, offRate: null, medianMs: null },
		checks: { pairs: 0, answers: 0, correct: 0 },
		queue: { pairs: 0, done: 0, leased: 0, open: 0 },
		perDay: []
	};
}

/**
 * A quality snapshot as the refresh job would leave one, with annotator figures
 * chosen by the test (the figures themselves are i12-snapshot's to compute).
 */
export async function insertSnapshot(db: Db, personaId: string, annotators: AnnotatorFixture[], computedAt = new Date()): Promise<string> {
	const [snapshot] = await db
		.insert(qualitySnapshot)
		.values({ personaId, computedAt, judgments: 0, lastJudgmentAt: computedAt, settings: defaultQualitySettings(), figures: emptyFigures(), durationMs: 1 })
		.returning({ id: qualitySnapshot.id });
	if (annotators.length)
		await db.insert(qualityAnnotator).values(
			annotators.map((a) => ({
				snapshotId: snapshot!.id,
				annotatorId: a.annotatorId,
				votes: a.votes ?? 0,
				sharedPairs: a.sharedPairs ?? 0,
				agreements: a.agreements ?? 0,
				agreement: a.sharedPairs ? (a.agreements ?? 0) / a.sharedPairs : null,
				checkAnswers: a.checkAnswers ?? 0,
				checkCorrect: a.checkCorrect ?? 0,
				checkAccuracy: a.checkAnswers ? (a.checkCorrect ?? 0) / a.checkAnswers : null,
				abVotes: 0,
				leftPicks: 0,
				fastVotes: 0,
				longestRun: 0,
				flags: a.flags ?? []
			}))
		);
	return snapshot!.id;
}
