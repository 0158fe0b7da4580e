import { sql } from 'drizzle-orm';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { qualityAnnotator, qualitySnapshot } from '../db/schema';
import { annotatorCounts } from './annotator-sql';
import { annotatorRows, crowdFigures, crowdPositionBias } from './annotators';
import { crowdMedianMs, judgmentMark, judgmentsPerDay, queueFigures, unitGroups } from './crowd-sql';
import { qualityFiguresSchema, type QualityFigures } from './figures';
import { pruneSnapshots } from './prune';
import { agreementScopes } from './scopes';
import { readQualitySettings, type QualitySettings } from './settings';

/** Rows per insert statement: 24 columns each stays far below PostgreSQL's 65,535 parameters. */
const ANNOTATOR_BATCH = 1000;

/**
 * Everything a snapshot needs from the database, read in one transaction
 * (repeatable read on PostgreSQL) so every figure describes the same
 * judgments. Only aggregates come back: a row per annotator and a row per
 * group of identical units, never a row per judgment.
 */
async function readCounts(db: Db, personaId: string, settings: QualitySettings) {
	return db.transaction(
		async (tx) => {
			const [clock] = rowsOf<{ now: string | Date }>(await tx.execute(sql`select now() as now`));
			return {
				computedAt: new Date(clock!.now),
				mark: await judgmentMark(tx, personaId),
				groups: await unitGroups(tx, personaId),
				annotators: await annotatorCounts(tx, personaId, settings.maxWordsPerSecond),
				medianMs: await crowdMedianMs(tx, personaId),
				queue: await queueFigures(tx, personaId),
				perDay: await judgmentsPerDay(tx, personaId)
			};
		},
		{ isolationLevel: 'repeatable read', accessMode: 'read only' }
	);
}

type Counts = Awaited<ReturnType<typeof readCounts>>;

function figuresOf(counts: Counts, settings: QualitySettings): QualityFigures {
	const crowd = crowdFigures(counts.annotators, counts.medianMs);
	return qualityFiguresSchema.parse({
		...agreementScopes(counts.groups),
		positionBias: crowdPositionBias(counts.annotators, settings),
		crowd,
		checks: {
			pairs: counts.mark.checkPairs,
			answers: counts.annotators.reduce((sum, a) => sum + a.checkAnswers, 0),
			correct: counts.annotators.reduce((sum, a) => sum + a.checkCorrect, 0)
		},
		queue: counts.queue,
		perDay: counts.perDay
	});
}

async function store(db: Db, personaId: string, counts: Counts, settings: QualitySettings, figures: QualityFigures, durationMs: number): Promise<string> {
	return db.transaction(async (tx: DbOrTx) => {
		const [created] = await tx
			.insert(qualitySnapshot)
			.values({
				personaId,
				computedAt: counts.computedAt,
				judgments: counts.mark.judgments,
				lastJudgmentAt: counts.mark.lastJudgmentAt,
				settings,
				figures,
				durationMs
			})
			.returning({ id: qualitySnapshot.id });
		const snapshotId = created!.id;
		const rows = annotatorRows(counts.annotators, figures.crowd, settings).map((row) => ({ ...row, snapshotId }));
		for (let from = 0; from < rows.length; from += ANNOTATOR_BATCH) await tx.insert(qualityAnnotator).values(rows.slice(from, from + ANNOTATOR_BATCH));
		await pruneSnapshots(tx, personaId, snapshotId);
		return snapshotId;
	});
}

/**
 * Computes a new quality snapshot of the persona from its judgments and
 * stores it with one `quality_annotator` row per annotator, in one
 * transaction (older snapshots pruned in it). Safe to repeat: each run
 * stores a complete snapshot of what it read, and readers take the newest.
 */
export async function computeSnapshot(db: Db, personaId: string): Promise<string> {
	const started = performance.now();
	const settings = await readQualitySettings(db, personaId);
	const counts = await readCounts(db, personaId, settings);
	const figures = figuresOf(counts, settings);
	return store(db, personaId, counts, settings, figures, Math.round(performance.now() - started));
}
