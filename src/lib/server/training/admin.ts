import { and, desc, eq, like, sql } from 'drizzle-orm';
import * as audit from '../audit';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { dataset, datasetVersion, job, storageEvent, trainingRun } from '../db/schema';
import { FieldError, NotFoundError } from '../errors';
import * as jobs from '../jobs/queue';
import type { KfpClient } from '../kubeflow/client';
import { CHAIN_JOB, chainDedupeKey } from './chain-key';
import { withoutOutage } from './outage';
import { getRun, isFinished, recordRun, type TrainingRun } from './runs';

/** What admins do with training: follow runs and deliveries, terminate, retry, re-run a version's chain. */

export type Actor = { id: string | null; ip?: string | null };

export type RunRow = TrainingRun & { datasetName: string; datasetId: string; version: number; personaId: string };

/** Newest first; a dataset version's runs only, when given. */
export async function listRuns(db: DbOrTx, filter: { personaId: string; datasetVersionId?: string }, limit = 200): Promise<RunRow[]> {
	const rows = await db
		.select({ run: trainingRun, datasetName: dataset.name, datasetId: dataset.id, version: datasetVersion.version, personaId: dataset.personaId })
		.from(trainingRun)
		.innerJoin(datasetVersion, eq(datasetVersion.id, trainingRun.datasetVersionId))
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
		.where(and(eq(dataset.personaId, filter.personaId), filter.datasetVersionId ? eq(trainingRun.datasetVersionId, filter.datasetVersionId) : undefined))
		.orderBy(desc(trainingRun.createdAt))
		.limit(limit);
	return rows.map(({ run, ...rest }) => ({ ...run, ...rest }));
}

export type DeliveryRow = typeof storageEvent.$inferSelect;

export async function listDeliveries(db: DbOrTx, limit = 100): Promise<DeliveryRow[]> {
	return db.select().from(storageEvent).orderBy(desc(storageEvent.receivedAt)).limit(limit);
}

async function chainJobOf(db: DbOrTx, run: TrainingRun): Promise<string> {
	const [found] = await db.select({ id: job.id }).from(job).where(eq(job.dedupeKey, `${CHAIN_JOB}:${run.chainKey}`));
	if (!found) throw new NotFoundError('The job of this training chain is gone.');
	return found.id;
}

/** Asks Kubeflow to stop a run; the chain sees CANCELED on its next look and stops. */
export async function terminateRun(db: Db, kfp: KfpClient | null, runId: string, actor: Actor): Promise<void> {
	const run = await getRun(db, runId);
	if (!run) throw new NotFoundError('That training run does not exist.');
	if (!kfp || !run.kfpRunId) throw new FieldError('run', 'This run was never sent to Kubeflow: there is nothing to terminate.');
	await kfp.terminateRun(run.kfpRunId);
	await audit.record(db, { actorId: actor.id, action: 'training.terminate', targetType: 'training_run', targetId: run.id, ip: actor.ip });
}

/**
 * Tries a run again: a run Kubeflow failed or cancelled is retried there (same run id); one that
 * could not be submitted is submitted again. The chain's job goes back in the queue to follow it.
 */
export async function retryRun(db: Db, kfp: KfpClient | null, runId: string, actor: Actor): Promise<void> {
	const run = await getRun(db, runId);
	if (!run) throw new NotFoundError('That training run does not exist.');
	if (!kfp) throw new FieldError('run', 'Kubeflow is not configured (KFP_ENDPOINT): there is nowhere to run it.');
	const jobId = await chainJobOf(db, run);
	if (run.state === 'SUBMIT_FAILED' || run.state === 'NOT_CONFIGURED') await recordRun(db, run, 'SUBMITTING', { error: null, finishedAt: null });
	else if ((run.state === 'FAILED' || run.state === 'CANCELED') && run.kfpRunId) {
		await kfp.retryRun(run.kfpRunId);
		await recordRun(db, run, 'PENDING', { error: null, finishedAt: null });
	} else if (isFinished(run.state)) throw new FieldError('run', `This run is ${run.state}: only a failed, cancelled or unsubmitted run can be retried.`);
	// A run still in progress whose chain lost contact with Kubeflow needs no change: the chain looks again.
	const current = await jobs.getJob(db, jobId);
	if (current && current.status !== 'queued' && current.status !== 'running') await jobs.resume(db, jobId);
	await audit.record(db, { actorId: actor.id, action: 'training.retry', targetType: 'training_run', targetId: run.id, ip: actor.ip });
}

/** A new chain for a version that has one already (new weights, another base model): chain n + 1. */
export async function rerunChain(db: Db, versionId: string, actor: Actor): Promise<{ chain: number }> {
	return db.transaction(async (tx) => {
		const [version] = await tx
			.select({ id: datasetVersion.id, status: datasetVersion.status, personaId: dataset.personaId })
			.from(datasetVersion)
			.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
			.where(eq(datasetVersion.id, versionId))
			.for('update', { of: datasetVersion });
		if (!version) throw new NotFoundError('That dataset version does not exist.');
		if (version.status !== 'published') throw new FieldError('version', 'Only a published version can be trained on.');
		const [last] = rowsOf<{ chain: number | null }>(
			await tx.execute(sql`
				select max(split_part(dedupe_key, '#', 2)::int) as chain from job
				where ${like(job.dedupeKey, `${CHAIN_JOB}:${versionId}#%`)}`)
		);
		const chain = Number(last?.chain ?? 0) + 1;
		await tx.insert(job).values({ kind: CHAIN_JOB, payload: { versionId, chain }, personaId: version.personaId, dedupeKey: chainDedupeKey(versionId, chain), createdBy: actor.id });
		await audit.record(tx, { actorId: actor.id, action: 'training.rerun', targetType: 'dataset_version', targetId: versionId, details: { chain }, ip: actor.ip });
		return { chain };
	});
}

/**
 * Puts a stopped chain back in the queue. It follows the runs it has by their Kubeflow ids; a run
 * that never reached Kubeflow is submitted again, and a create that did happen is found by the
 * dedupe key in its description, so no training runs twice. A run Kubeflow itself failed is for
 * Retry (it retries that run in Kubeflow).
 */
export async function resumeChain(db: Db, jobId: string, actor: Actor): Promise<void> {
	await db.transaction(async (tx) => {
		const [found] = await tx.select().from(job).where(and(eq(job.id, jobId), eq(job.kind, CHAIN_JOB))).for('update');
		if (!found) throw new NotFoundError('That training chain does not exist.');
		if (found.status !== 'failed' && found.status !== 'cancelled') throw new FieldError('chain', `This chain is ${found.status}: only a stopped chain can be resumed.`);
		const chainKey = String(found.dedupeKey).slice(`${CHAIN_JOB}:`.length);
		const runs = await tx.select().from(trainingRun).where(eq(trainingRun.chainKey, chainKey));
		const ended = runs.find((run) => run.state === 'FAILED' || run.state === 'CANCELED');
		if (ended) throw new FieldError('chain', `Its ${ended.kind === 'reward_model' ? 'reward-model' : 'PPO'} run ended ${ended.state} in Kubeflow: use Retry on that run.`);
		for (const run of runs) if (run.state === 'SUBMIT_FAILED') await recordRun(tx, run, 'SUBMITTING', { error: null, finishedAt: null });
		await jobs.resume(tx, jobId);
		await tx.update(job).set({ progress: withoutOutage(found.progress) }).where(eq(job.id, jobId));
		await audit.record(tx, { actorId: actor.id, action: 'training.resume', targetType: 'job', targetId: jobId, ip: actor.ip });
	});
}
