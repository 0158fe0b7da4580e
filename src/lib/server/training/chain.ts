import { createHash } from 'node:crypto';
import { buffer as streamBuffer } from 'node:stream/consumers';
import { z } from 'zod';
import type { TrainingConfig } from '../config';
import type { Db } from '../db';
import type { JobContext, JobOutcome } from '../jobs/runner';
import { KfpError, type KfpClient } from '../kubeflow/client';
import type { ObjectStore } from '../storage';
import { getDataset } from '../datasets/definitions';
import { roundOnCandidate } from '../evaluation/rounds';
import { MANIFEST } from '../datasets/manifest';
import { getVersion, type DatasetVersion } from '../datasets/versions';
import { chainKeyOf, runDedupeKey } from './chain-key';
import { policyOf, registerCandidate } from './lineage';
import { readRunMetrics } from './metrics';
import { experimentName, ppoParameters, PPO_PIPELINE, REWARD_MODEL_PIPELINE, rewardModelParameters, runDisplayName, type ChainSubject } from './requests';
import { rideOut, withoutOutage } from './outage';
import { findRun, isFinished, openRun, recordRun, type RunKind, type TrainingRun } from './runs';

/**
 * One training chain of a dataset version, as a job that takes one step each
 * time it runs and then waits in the queue (it never holds a worker while
 * Kubeflow trains): submit the reward-model run, follow it, on SUCCEEDED
 * submit the PPO run, follow it, on SUCCEEDED register the trained policy as a
 * candidate model version. The chain's job is claimed by one worker at a time
 * (SKIP LOCKED), which is the platform-side lock that KFP's missing
 * idempotency key asks for; a run created just before a crash is found again
 * by the dedupe key in its description.
 */

export type ChainDeps = {
	store: ObjectStore;
	training: TrainingConfig;
	/** null: Kubeflow is not configured, runs are recorded with the request that would be sent. */
	kfp: KfpClient | null;
	pipelines: Readonly<Record<RunKind, string>>;
	/** The clock outages are measured with; specs scale it. */
	now?: () => Date;
};

const payloadSchema = z.object({ versionId: z.uuid(), chain: z.number().int().min(1) });

/** A version whose manifest event came before the publisher recorded it is looked at again this soon. */
const UNPUBLISHED_RETRY_MS = 2_000;

export function chainJobHandler(deps: () => ChainDeps): (context: JobContext) => Promise<JobOutcome> {
	return async ({ db, job }) => {
		const { versionId, chain } = payloadSchema.parse(job.payload);
		const version = await getVersion(db, versionId);
		if (version.status === 'building') return { status: 'later', delayMs: UNPUBLISHED_RETRY_MS };
		if (version.status === 'failed') return { status: 'failed', error: `Version ${version.version} failed to publish; nothing to train on.` };
		const context: ChainContext = { db, deps: deps(), chainKey: chainKeyOf(versionId, chain), versionId, changed: false };
		// Any look that gets through ends an outage.
		const progress = withoutOutage(job.progress);
		// Only a step that submits or registers needs the subject (it reads the stored manifest): a look at a run does not.
		let subject: Promise<ChainSubject> | undefined;
		const subjectOnce = () => (subject ??= subjectOf(context, version, chain));
		try {
			const outcome = await step(context, subjectOnce);
			if (outcome.status !== 'later') return { ...outcome, progress: { ...progress, ...outcome.progress } };
			// Back off while nothing changes (a run training for hours), up to 8 × KFP_POLL_SECONDS.
			const poll = context.deps.training.pollMs;
			const previous = Number(job.progress.pollDelayMs) || poll;
			const delayMs = context.changed ? poll : Math.min(previous * 2, poll * 8);
			return { status: 'later', delayMs, progress: { ...progress, pollDelayMs: delayMs } };
		} catch (error) {
			if (!(error instanceof KfpError)) throw error;
			if (error.unreachable) return rideOut(job.progress, error, context.deps.now?.() ?? new Date(), context.deps.training);
			return { status: 'failed', error: error.message, progress };
		}
	};
}

/** `changed`: this look saw something new (a submission, a state), so the next look comes soon. */
type ChainContext = { db: Db; deps: ChainDeps; chainKey: string; versionId: string; changed: boolean };

async function subjectOf(context: ChainContext, version: DatasetVersion, chain: number): Promise<ChainSubject> {
	const definition = await getDataset(context.db, version.datasetId);
	// Recorded when the manifest was written; versions published before that are hashed from the store.
	const manifestSha256 =
		version.manifestSha256 ?? createHash('sha256').update(await streamBuffer(await context.deps.store.get(version.objectPrefix + MANIFEST))).digest('hex');
	return {
		persona: definition.personaSlug,
		dataset: definition.slug,
		version: version.version,
		chain,
		datasetUri: context.deps.store.locationOf(version.objectPrefix),
		manifestSha256,
		useMargin: version.spec.margin.enabled
	};
}

async function step(context: ChainContext, subject: () => Promise<ChainSubject>): Promise<JobOutcome> {
	const later: JobOutcome = { status: 'later', delayMs: context.deps.training.pollMs };
	const { training } = context.deps;
	const rm = await advance(context, subject, 'reward_model', async (s) => ({ parameters: rewardModelParameters(training, s) }));
	if (!isFinished(rm.state)) return later;
	if (rm.state !== 'SUCCEEDED') return stopped(rm);
	// Before PPO is submitted, so the reward model's figures are known while the policy trains.
	await readRunMetrics(context.db, context.deps.store, rm);
	const ppo = await advance(context, subject, 'ppo', async (s) => {
		const policy = await policyOf(context.db, context.versionId, training);
		return {
			parameters: ppoParameters(training, s, { rewardModelUri: String(rm.parameters.output_uri), policyModel: policy.model }),
			parentRunId: rm.id,
			baseModelVersionId: policy.modelVersionId
		};
	});
	if (!isFinished(ppo.state)) return later;
	if (ppo.state !== 'SUCCEEDED') return stopped(ppo);
	await readRunMetrics(context.db, context.deps.store, ppo);
	const model = await registerCandidate(context.db, ppo, await subject(), training);
	// A retried step finds the round it started (one per candidate).
	const evaluation = await roundOnCandidate(context.db, model.id);
	return { status: 'succeeded', progress: { modelVersionId: model.id, modelName: model.name, ...evaluation } };
}

function stopped(run: TrainingRun): JobOutcome {
	const what = run.kind === 'reward_model' ? 'The reward-model run' : 'The PPO run';
	if (run.state === 'NOT_CONFIGURED') return { status: 'succeeded', progress: { stoppedAt: run.kind, state: run.state } };
	return { status: 'failed', error: `${what} ended ${run.state}${run.error ? `: ${run.error}` : ''}. The chain stops here.` };
}

type Planned = { parameters: Record<string, unknown>; parentRunId?: string; baseModelVersionId?: string | null };

/** Submits the run if it has not been, else looks at it once; returns the row as it now is. */
async function advance(
	context: ChainContext,
	subjectOf: () => Promise<ChainSubject>,
	kind: RunKind,
	plan: (subject: ChainSubject) => Promise<Planned>
): Promise<TrainingRun> {
	const existing = await findRun(context.db, context.chainKey, kind);
	if (existing && existing.state !== 'SUBMITTING') return isFinished(existing.state) ? existing : follow(context, existing);
	const subject = await subjectOf();
	const planned = await plan(subject);
	const { kfp, training } = context.deps;
	const request = {
		display_name: runDisplayName(kind, subject),
		description: runDedupeKey(context.versionId, subject.chain, kind),
		experiment_id: `(experiment "${experimentName(subject.persona)}", created on first use)`,
		pipeline_version_reference: {
			pipeline_id: `(pipeline "${kind === 'reward_model' ? REWARD_MODEL_PIPELINE : PPO_PIPELINE}", uploaded on first use)`,
			pipeline_version_id: '(named by the content hash of its YAML)'
		},
		runtime_config: { parameters: planned.parameters, ...(training.kfp?.pipelineRoot ? { pipeline_root: training.kfp.pipelineRoot } : {}) },
		...(training.kfp?.serviceAccount ? { service_account: training.kfp.serviceAccount } : {})
	};
	const run =
		existing ??
		(await openRun(context.db, {
			datasetVersionId: context.versionId,
			kind,
			chainKey: context.chainKey,
			parentRunId: planned.parentRunId ?? null,
			baseModelVersionId: planned.baseModelVersionId ?? null,
			parameters: planned.parameters,
			request,
			state: kfp ? 'SUBMITTING' : 'NOT_CONFIGURED'
		}));
	if (!kfp || run.state !== 'SUBMITTING') return run;
	return submit(context, kfp, run, request, subject);
}

async function submit(context: ChainContext, kfp: KfpClient, run: TrainingRun, planned: { display_name: string; description: string; runtime_config: { parameters: Record<string, unknown>; pipeline_root?: string }; service_account?: string }, subject: ChainSubject): Promise<TrainingRun> {
	try {
		const pipeline = await kfp.ensurePipeline(run.kind === 'reward_model' ? REWARD_MODEL_PIPELINE : PPO_PIPELINE, context.deps.pipelines[run.kind]);
		const experiment = await kfp.ensureExperiment(experimentName(subject.persona));
		const request = {
			...planned,
			experiment_id: experiment.experiment_id,
			pipeline_version_reference: { pipeline_id: pipeline.pipelineId, pipeline_version_id: pipeline.pipelineVersionId }
		};
		const created = (await kfp.findRunByDescription(experiment.experiment_id, planned.description)) ?? (await kfp.createRun(request));
		context.changed = true;
		return recordRun(context.db, run, created.state, { kfpRunId: created.run_id, experimentId: experiment.experiment_id, request, submittedAt: new Date(), error: null });
	} catch (error) {
		if (!(error instanceof KfpError)) throw error;
		// Unreachable: the run stays SUBMITTING and the chain rides the outage out; the next try
		// first looks for a run this one may have created (the dedupe key in its description).
		if (error.unreachable) {
			await recordRun(context.db, run, run.state, { error: `Kubeflow unreachable while submitting: ${error.message}` });
			throw error;
		}
		return recordRun(context.db, run, 'SUBMIT_FAILED', { error: error.message, finishedAt: new Date() });
	}
}

/** One look at a run in progress: its state, its error, when it finished. */
async function follow(context: ChainContext, run: TrainingRun): Promise<TrainingRun> {
	const kfp = context.deps.kfp;
	if (!kfp || !run.kfpRunId) return run;
	let seen;
	try {
		seen = await kfp.getRun(run.kfpRunId);
	} catch (error) {
		if (error instanceof KfpError) await recordRun(context.db, run, run.state, { error: `Could not look at the run: ${error.message}` });
		throw error;
	}
	const finished = isFinished(seen.state);
	if (seen.state !== run.state) context.changed = true;
	return recordRun(context.db, run, seen.state, {
		error: seen.error?.message ?? null,
		finishedAt: finished ? (seen.finished_at ? new Date(seen.finished_at) : new Date()) : null
	});
}
