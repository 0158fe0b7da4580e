import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { trainingRun } from '../db/schema';

/**
 * Training runs as the platform records them: one row per (chain, kind), with
 * the exact request sent (or that would be sent) to Kubeflow and every state
 * it was seen in. Besides KFP's run states a row can be NOT_CONFIGURED (no
 * KFP_ENDPOINT: the request is kept, nothing is sent), SUBMITTING (being
 * created; a worker that dies here is followed by one that finds the run by
 * its dedupe key) and SUBMIT_FAILED (Kubeflow refused or did not answer).
 */

export type TrainingRun = typeof trainingRun.$inferSelect;
export type RunKind = TrainingRun['kind'];

export const FINISHED_STATES = ['SUCCEEDED', 'FAILED', 'CANCELED', 'SKIPPED', 'NOT_CONFIGURED', 'SUBMIT_FAILED'] as const;

export function isFinished(state: string): boolean {
	return (FINISHED_STATES as readonly string[]).includes(state);
}

export async function findRun(db: DbOrTx, chainKey: string, kind: RunKind): Promise<TrainingRun | undefined> {
	const [found] = await db.select().from(trainingRun).where(and(eq(trainingRun.chainKey, chainKey), eq(trainingRun.kind, kind)));
	return found;
}

export async function getRun(db: DbOrTx, id: string): Promise<TrainingRun | undefined> {
	const [found] = await db.select().from(trainingRun).where(eq(trainingRun.id, id));
	return found;
}

/** The row for a run about to be submitted (or recorded as not configured); an existing one is returned as it is. */
export async function openRun(
	db: DbOrTx,
	input: Pick<typeof trainingRun.$inferInsert, 'datasetVersionId' | 'kind' | 'chainKey' | 'parentRunId' | 'baseModelVersionId' | 'parameters' | 'request' | 'state'>
): Promise<TrainingRun> {
	const now = new Date().toISOString();
	await db
		.insert(trainingRun)
		.values({ ...input, stateHistory: [{ state: input.state, at: now }] })
		.onConflictDoNothing({ target: [trainingRun.chainKey, trainingRun.kind] });
	return (await findRun(db, input.chainKey, input.kind))!;
}

export type RunChange = Partial<Pick<TrainingRun, 'kfpRunId' | 'experimentId' | 'request' | 'error' | 'submittedAt' | 'finishedAt' | 'outputs'>>;

/** Records what was learnt about a run; a new state is appended to its history with when it was seen. */
export async function recordRun(db: DbOrTx, run: TrainingRun, state: string, change: RunChange = {}): Promise<TrainingRun> {
	const history = run.state === state ? run.stateHistory : [...run.stateHistory, { state, at: new Date().toISOString() }];
	const [updated] = await db
		.update(trainingRun)
		.set({ ...change, state, stateHistory: history, updatedAt: sql`now()` })
		.where(eq(trainingRun.id, run.id))
		.returning();
	return updated!;
}
