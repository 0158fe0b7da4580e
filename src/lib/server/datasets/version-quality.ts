import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type DbOrTx } from '../db';
import { qualityFlags } from '../db/schema';
import { agreementFigureSchema, alphaFigureSchema } from '../quality/figures';
import * as stats from '../quality/stats';
import { annotatorPseudonym } from './read';
import { exclusionReasons, type ResolvedQuality } from './spec';
import { text } from '../text';

/**
 * The quality of what a version contains, for its manifest and card: α
 * (nominal and ordinal, with bootstrap intervals) and raw agreement over
 * exactly the votes in its `votes.jsonl` that are not gold checks, the pooled
 * check accuracy (Wilson interval) over its check votes, and who the quality
 * filters left out and why. Computed from frozen rows with a fixed bootstrap
 * seed, so a rebuild writes the same figures, whatever snapshot is newest.
 */

const count = z.number().int().min(0);
const share = z.number().min(0).max(1).nullable();

export const versionQualitySchema = z.object({
	/** The snapshot the quality filters were resolved against; null when none was on. */
	snapshot: z.object({ id: z.uuid(), computed_at: z.iso.datetime() }).nullable(),
	excluded: z.array(
		z.object({
			/** The pseudonym `votes.jsonl` would have used. */
			annotator: text().regex(/^annotator-[0-9a-f]{12}$/),
			reasons: z.array(z.enum(exclusionReasons)),
			votes: count,
			check_answers: count,
			check_accuracy: share,
			shared_pairs: count,
			agreement: share,
			flags: z.array(z.enum(qualityFlags))
		})
	),
	/** Votes in `votes.jsonl` that are not checks: what α and agreement are computed over. */
	votes: z.object({ judgments: count, pairs: count, annotators: count }),
	alpha_nominal: alphaFigureSchema,
	alpha_ordinal: alphaFigureSchema,
	raw_agreement: agreementFigureSchema,
	/** Check votes in `votes.jsonl`, pooled over their annotators. */
	checks: z.object({ answers: count, correct: count, accuracy: share, low: share, high: share })
});
export type VersionQuality = z.infer<typeof versionQualitySchema>;

/** The values one pair's votes give on each scale: nominal codes of {a, b, tie, off}; ordinal signed strength, off missing. */
export type VoteUnits = { nominal: number[][]; ordinal: number[][] };

const nominalCode = sql`(case j.choice when 'a' then 0 when 'b' then 1 when 'tie' then 2 else 3 end)`;
// a as +strength, b as −strength, tie 0; both-off-persona is no position on the scale (missing).
const ordinalCode = sql`(case j.choice when 'a' then j.strength when 'b' then -j.strength when 'tie' then 0 end)`;

/** The version's non-check votes as α units (one per pair), in a stable order. */
export async function voteUnits(db: DbOrTx, versionId: string): Promise<VoteUnits> {
	const rows = rowsOf<{ nominal: number[]; ordinal: number[] | null }>(
		await db.execute(sql`
			select array_agg(${nominalCode} order by j.id) as nominal,
				-- no NULL elements: postgres.js reads a NULL in an integer array as NaN
				array_agg(${ordinalCode} order by j.id) filter (where j.choice <> 'both_off_persona') as ordinal
			from dataset_version_row r join judgment j on j.id = r.judgment_id
			where r.dataset_version_id = ${versionId} and r.kind = 'vote' and r.known_answer is null
			group by r.pair_id order by r.pair_id`)
	);
	return {
		nominal: rows.map((row) => row.nominal.map(Number)),
		ordinal: rows.map((row) => (row.ordinal ?? []).map(Number))
	};
}

async function tallies(db: DbOrTx, versionId: string) {
	const [row] = rowsOf<{ judgments: number; pairs: number; annotators: number; answers: number; correct: number }>(
		await db.execute(sql`
			select count(*) filter (where r.known_answer is null)::int as judgments,
				count(distinct r.pair_id) filter (where r.known_answer is null)::int as pairs,
				count(distinct j.annotator_id) filter (where r.known_answer is null)::int as annotators,
				count(*) filter (where r.known_answer is not null)::int as answers,
				count(*) filter (where r.known_answer = j.choice)::int as correct
			from dataset_version_row r join judgment j on j.id = r.judgment_id
			where r.dataset_version_id = ${versionId} and r.kind = 'vote'`)
	);
	return { judgments: Number(row?.judgments ?? 0), pairs: Number(row?.pairs ?? 0), annotators: Number(row?.annotators ?? 0), answers: Number(row?.answers ?? 0), correct: Number(row?.correct ?? 0) };
}

function excludedOf(resolved: ResolvedQuality | undefined): VersionQuality['excluded'] {
	return (resolved?.excluded ?? []).map((one) => ({
		annotator: annotatorPseudonym(one.annotatorId),
		reasons: one.reasons,
		votes: one.votes,
		check_answers: one.checkAnswers,
		check_accuracy: one.checkAccuracy,
		shared_pairs: one.sharedPairs,
		agreement: one.agreement,
		flags: one.flags
	}));
}

/** The figures of a frozen version (its vote rows), and what its quality filters resolved to. */
export async function versionQuality(db: DbOrTx, versionId: string, resolved: ResolvedQuality | undefined): Promise<VersionQuality> {
	const units = await voteUnits(db, versionId);
	const counted = await tallies(db, versionId);
	const accuracy = stats.wilson(counted.correct, counted.answers);
	return {
		snapshot: resolved?.snapshotId && resolved.computedAt ? { id: resolved.snapshotId, computed_at: resolved.computedAt } : null,
		excluded: excludedOf(resolved),
		votes: { judgments: counted.judgments, pairs: counted.pairs, annotators: counted.annotators },
		alpha_nominal: stats.alphaWithInterval(units.nominal, 'nominal'),
		alpha_ordinal: stats.alphaWithInterval(units.ordinal, 'ordinal'),
		raw_agreement: stats.rawAgreement(units.nominal),
		checks: { answers: counted.answers, correct: counted.correct, accuracy: accuracy.value, low: accuracy.low, high: accuracy.high }
	};
}
