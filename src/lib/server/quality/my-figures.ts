import { and, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { qualityAnnotator, qualityFlags, qualitySnapshot, type QualityFlag } from '../db/schema';

/**
 * What an annotator may see of their own figures: rates and intervals only.
 * Nothing here names a pair, counts checks or says when one was answered, so
 * the home page can never tell which pairs were checks.
 */
export type MyFigures = {
	computedAt: Date;
	votes: number;
	agreement: number | null;
	agreementLow: number | null;
	agreementHigh: number | null;
	checkAccuracy: number | null;
	checkLow: number | null;
	checkHigh: number | null;
	flags: QualityFlag[];
};

/** The annotator's row of each persona's newest snapshot that has one, keyed by persona id. */
export async function myFigures(db: DbOrTx, annotatorId: string): Promise<Map<string, MyFigures>> {
	const rows = await db
		.selectDistinctOn([qualitySnapshot.personaId], {
			personaId: qualitySnapshot.personaId,
			computedAt: qualitySnapshot.computedAt,
			votes: qualityAnnotator.votes,
			agreement: qualityAnnotator.agreement,
			agreementLow: qualityAnnotator.agreementLow,
			agreementHigh: qualityAnnotator.agreementHigh,
			checkAccuracy: qualityAnnotator.checkAccuracy,
			checkLow: qualityAnnotator.checkLow,
			checkHigh: qualityAnnotator.checkHigh,
			flags: qualityAnnotator.flags
		})
		.from(qualitySnapshot)
		.innerJoin(qualityAnnotator, and(eq(qualityAnnotator.snapshotId, qualitySnapshot.id), eq(qualityAnnotator.annotatorId, annotatorId)))
		.orderBy(qualitySnapshot.personaId, desc(qualitySnapshot.computedAt));
	return new Map(
		rows.map(({ personaId, flags, ...figures }) => [
			personaId,
			{ ...figures, flags: flags.filter((flag): flag is QualityFlag => (qualityFlags as readonly string[]).includes(flag)) }
		])
	);
}
