import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { qualityAnnotator, type QualityFlag } from '../db/schema';
import { FieldError } from '../errors';
import { latestSnapshot } from '../quality/snapshots';
import { qualityFiltersOn, type ExclusionReason, type QualityFilters, type ResolvedQuality } from './spec';

/**
 * Turns a definition's quality filters into a concrete list of annotators
 * left out, read from the persona's newest quality snapshot. At freeze the
 * list is written into the version's spec (`quality.resolved`), so the same
 * version leaves out the same people however the figures move later.
 */

/** An annotator's figures in a snapshot, as far as the filters read them. */
export type AnnotatorQuality = {
	annotatorId: string;
	votes: number;
	checkAnswers: number;
	checkAccuracy: number | null;
	sharedPairs: number;
	agreement: number | null;
	flags: QualityFlag[];
};

export type Exclusion = ResolvedQuality['excluded'][number];

/** Why `figures` leave this annotator out under `filters` (empty: kept). Below `minEvidence` a threshold does not count. */
export function exclusionReasons(filters: QualityFilters, figures: AnnotatorQuality): ExclusionReason[] {
	const reasons: ExclusionReason[] = [];
	const enough = (evidence: number) => evidence >= filters.minEvidence;
	if (filters.minCheckAccuracy > 0 && enough(figures.checkAnswers) && figures.checkAccuracy !== null && figures.checkAccuracy < filters.minCheckAccuracy)
		reasons.push('check_accuracy');
	if (filters.minAgreement > 0 && enough(figures.sharedPairs) && figures.agreement !== null && figures.agreement < filters.minAgreement) reasons.push('agreement');
	const flagged = filters.flagged === 'any' ? figures.flags : filters.flagged === 'chosen' ? figures.flags.filter((flag) => filters.flags.includes(flag)) : [];
	if (flagged.length) reasons.push('flags');
	return reasons;
}

/** Everyone `filters` leave out, in a stable order (by annotator id), with the figures that decided it. */
export function excludedAnnotators(filters: QualityFilters, annotators: AnnotatorQuality[]): Exclusion[] {
	return annotators
		.map((figures) => ({ ...figures, reasons: exclusionReasons(filters, figures) }))
		.filter((one) => one.reasons.length > 0)
		.sort((a, b) => (a.annotatorId < b.annotatorId ? -1 : a.annotatorId > b.annotatorId ? 1 : 0))
		.map(({ annotatorId, reasons, votes, checkAnswers, checkAccuracy, sharedPairs, agreement, flags }) => ({
			annotatorId,
			reasons,
			votes,
			checkAnswers,
			checkAccuracy,
			sharedPairs,
			agreement,
			flags
		}));
}

async function annotatorsOf(db: DbOrTx, snapshotId: string): Promise<AnnotatorQuality[]> {
	const rows = await db
		.select({
			annotatorId: qualityAnnotator.annotatorId,
			votes: qualityAnnotator.votes,
			checkAnswers: qualityAnnotator.checkAnswers,
			checkAccuracy: qualityAnnotator.checkAccuracy,
			sharedPairs: qualityAnnotator.sharedPairs,
			agreement: qualityAnnotator.agreement,
			flags: qualityAnnotator.flags
		})
		.from(qualityAnnotator)
		.where(eq(qualityAnnotator.snapshotId, snapshotId));
	return rows.map((row) => ({ ...row, flags: row.flags as QualityFlag[] }));
}

/** No snapshot yet while a filter is on: publishing would silently keep everyone, so it is refused. */
export class NoSnapshotError extends FieldError {
	constructor() {
		super(
			'spec.quality',
			'The quality filters need quality figures, and this persona has none yet: refresh them on the quality page (or wait for the refresh job), then publish.'
		);
	}
}

/**
 * The filters resolved against the persona's newest snapshot; with every filter
 * off nothing is read and nobody is left out. Throws NoSnapshotError when a
 * filter is on and no snapshot exists.
 */
export async function resolveQuality(db: DbOrTx, personaId: string, filters: QualityFilters): Promise<ResolvedQuality> {
	if (!qualityFiltersOn(filters)) return { snapshotId: null, computedAt: null, excluded: [] };
	const snapshot = await latestSnapshot(db, personaId);
	if (!snapshot) throw new NoSnapshotError();
	return { snapshotId: snapshot.id, computedAt: snapshot.computedAt.toISOString(), excluded: excludedAnnotators(filters, await annotatorsOf(db, snapshot.id)) };
}

/** Annotators whose judgments a version leaves out: chosen by hand, plus those its quality filters resolved to. */
export function judgmentExclusions(spec: { filters: { excludeAnnotatorIds: string[] }; quality: QualityFilters }): string[] {
	const byQuality = spec.quality.resolved?.excluded.map((one) => one.annotatorId) ?? [];
	return [...new Set([...spec.filters.excludeAnnotatorIds, ...byQuality])];
}
