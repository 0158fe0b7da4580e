import { inArray, sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';
import { user } from '../db/schema';
import { latestSnapshot } from '../quality/snapshots';
import type { Dataset } from './definitions';
import { NoSnapshotError, resolveQuality, type Exclusion } from './quality-filters';
import { eligibleJudgments, preferenceRows, type SelectionInput } from './selection';
import { qualityFiltersOn, type DatasetSpec, type ResolvedQuality } from './spec';

/**
 * "What will the next version contain?": the definition as it stands,
 * resolved against the newest quality snapshot exactly as publishing would
 * resolve it, and counted with the same queries that freeze a version.
 */

export type PreviewedExclusion = Exclusion & { displayName: string; votesInScope: number; checksInScope: number };

export type VersionPreview = {
	filtersOn: boolean;
	/** The snapshot the filters read, and how many judgments arrived after it (the people behind those are not yet measured). */
	snapshot: { computedAt: Date; judgmentsSince: number } | null;
	/** Why publishing now would be refused, if it would. */
	problem: string | null;
	excluded: PreviewedExclusion[];
	/** Judgments in the definition's scope (dates, domains, models, out of the undo window), by what becomes of them. */
	votes: { kept: number; leftOut: number; checks: number };
	/** Pairs (not checks) with at least one kept vote, and the preference rows they and gold edits make. */
	pairs: number;
	preferenceRows: number | null;
};

type AnnotatorCount = { annotator_id: string; votes: number; checks: number };

async function countsByAnnotator(db: DbOrTx, input: SelectionInput): Promise<AnnotatorCount[]> {
	return rowsOf<AnnotatorCount>(
		await db.execute(sql`
			with eligible as (${eligibleJudgments(input, { withoutQuality: true })})
			select e.annotator_id, count(*) filter (where e.known_answer is null)::int as votes,
				count(*) filter (where e.known_answer is not null)::int as checks
			from eligible e group by e.annotator_id`)
	);
}

async function keptPairs(db: DbOrTx, input: SelectionInput): Promise<number> {
	const [row] = rowsOf<{ pairs: number }>(
		await db.execute(sql`with eligible as (${eligibleJudgments(input)}) select count(distinct pair_id)::int as pairs from eligible where known_answer is null`)
	);
	return Number(row?.pairs ?? 0);
}

async function countPreferenceRows(db: DbOrTx, input: SelectionInput): Promise<number> {
	const [row] = rowsOf<{ rows: number }>(await db.execute(sql`${preferenceRows(input)} select count(*)::int as rows from split_rows`));
	return Number(row?.rows ?? 0);
}

async function judgmentsSince(db: DbOrTx, personaId: string, since: Date | null): Promise<number> {
	const [row] = rowsOf<{ count: number }>(
		await db.execute(sql`
			select count(*)::int as count from judgment j join pair pa on pa.id = j.pair_id
			where pa.persona_id = ${personaId} ${since ? sql`and j.created_at > ${since.toISOString()}::timestamptz` : sql``}`)
	);
	return Number(row?.count ?? 0);
}

async function resolved(db: DbOrTx, dataset: Dataset): Promise<{ quality: ResolvedQuality; problem: string | null }> {
	try {
		return { quality: await resolveQuality(db, dataset.personaId, dataset.spec.quality), problem: null };
	} catch (error) {
		if (!(error instanceof NoSnapshotError)) throw error;
		return { quality: { snapshotId: null, computedAt: null, excluded: [] }, problem: error.message };
	}
}

export async function previewVersion(db: DbOrTx, dataset: Dataset, options: { undoSeconds: number }): Promise<VersionPreview> {
	const filtersOn = qualityFiltersOn(dataset.spec.quality);
	const { quality, problem } = await resolved(db, dataset);
	const spec: DatasetSpec = { ...dataset.spec, quality: { ...dataset.spec.quality, resolved: quality } };
	const input: SelectionInput = { personaId: dataset.personaId, spec, undoSeconds: options.undoSeconds };
	const snapshot = filtersOn ? await latestSnapshot(db, dataset.personaId) : null;
	const [counts, pairs, rows, since] = await Promise.all([
		countsByAnnotator(db, input),
		keptPairs(db, input),
		spec.contents.preferences ? countPreferenceRows(db, input) : Promise.resolve(null),
		snapshot ? judgmentsSince(db, dataset.personaId, snapshot.lastJudgmentAt) : Promise.resolve(0)
	]);
	const byId = new Map(counts.map((count) => [count.annotator_id, count]));
	const ids = quality.excluded.map((one) => one.annotatorId);
	const names = new Map((ids.length ? await db.select({ id: user.id, name: user.displayName }).from(user).where(inArray(user.id, ids)) : []).map((u) => [u.id, u.name]));
	const leftOut = new Set(quality.excluded.map((one) => one.annotatorId));
	const excluded = quality.excluded.map((one) => {
		const count = byId.get(one.annotatorId);
		return { ...one, displayName: names.get(one.annotatorId) ?? `${one.annotatorId.slice(0, 8)}… (deleted)`, votesInScope: Number(count?.votes ?? 0), checksInScope: Number(count?.checks ?? 0) };
	});
	const sum = (filter: (count: AnnotatorCount) => boolean, of: (count: AnnotatorCount) => number) => counts.filter(filter).reduce((total, count) => total + Number(of(count)), 0);
	return {
		filtersOn,
		snapshot: snapshot ? { computedAt: snapshot.computedAt, judgmentsSince: since } : null,
		problem,
		excluded,
		votes: {
			kept: sum((count) => !leftOut.has(count.annotator_id), (count) => count.votes),
			leftOut: sum((count) => leftOut.has(count.annotator_id), (count) => count.votes + count.checks),
			checks: sum((count) => !leftOut.has(count.annotator_id), (count) => count.checks)
		},
		pairs,
		preferenceRows: rows
	};
}
