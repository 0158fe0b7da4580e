import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { auditEvent, dataset, datasetVersion, modelVersion, trainingRun } from '../db/schema';
import { metricsView } from './run-metrics';
import type { TrainingRun } from './runs';

/**
 * A persona's loop, one turn per published dataset version, newest first:
 * the version, each training chain that ran on it (reward model, PPO, the
 * candidate it registered), and when that candidate became current and was
 * retired (the audit log's `model.current` and `model.retire`). The verdict
 * of its evaluation rounds is the pages' to add (evaluation/results.ts),
 * from `modelVersionId`.
 */

export type LoopRewardModel = { runId: string; state: string; accuracy: number | null; agreement: number | null; flagged: boolean };
export type LoopPpo = { runId: string; state: string; meanReward: number | null; firstMeanReward: number | null; kl: number | null };
export type LoopCandidate = { id: string; name: string; status: 'candidate' | 'current' | 'retired' };

export type LoopChain = {
	/** n of the chain key `<version id>#<n>`: 1 when the manifest arrived, more from "Train again". */
	chain: number;
	rewardModel: LoopRewardModel | null;
	ppo: LoopPpo | null;
	candidate: LoopCandidate | null;
	/** The candidate's model version, for its verdict; null until PPO registered one. */
	modelVersionId: string | null;
	/** The last time it was made current, and the last time it was retired (null while it is not). */
	becameCurrentAt: Date | null;
	retiredAt: Date | null;
};

export type LoopTurn = {
	dataset: { id: string; versionId: string; name: string; version: number; publishedAt: Date | null; preferenceRows: number };
	/** Newest chain first; usually one. */
	chains: LoopChain[];
};

// Only what the loop reads of a manifest; the manifest itself is parsed whole by datasets/manifest.ts.
const manifestCountsSchema = z.looseObject({
	counts: z.looseObject({ preference: z.looseObject({ train: z.number(), test: z.number() }) })
});

export async function loopOf(db: DbOrTx, personaId: string): Promise<LoopTurn[]> {
	const versions = await db
		.select({ versionId: datasetVersion.id, version: datasetVersion.version, publishedAt: datasetVersion.publishedAt, manifest: datasetVersion.manifest, id: dataset.id, name: dataset.name })
		.from(datasetVersion)
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
		.where(and(eq(dataset.personaId, personaId), eq(datasetVersion.status, 'published')))
		.orderBy(desc(datasetVersion.publishedAt), desc(datasetVersion.version));
	if (versions.length === 0) return [];
	const runs = await db.select().from(trainingRun).where(inArray(trainingRun.datasetVersionId, versions.map((v) => v.versionId)));
	const candidates = await candidatesOf(db, runs.filter((run) => run.kind === 'ppo').map((run) => run.id));
	const moments = await momentsOf(db, personaId, [...candidates.values()].map((model) => model.id));
	return versions.map((v) => {
		const counts = manifestCountsSchema.safeParse(v.manifest);
		const preferenceRows = counts.success ? counts.data.counts.preference.train + counts.data.counts.preference.test : 0;
		const own = runs.filter((run) => run.datasetVersionId === v.versionId);
		const chainKeys = [...new Set(own.map((run) => run.chainKey))];
		const chains = chainKeys.map((key) => chainOf(own.filter((run) => run.chainKey === key), candidates, moments)).sort((a, b) => b.chain - a.chain);
		return { dataset: { id: v.id, versionId: v.versionId, name: v.name, version: v.version, publishedAt: v.publishedAt, preferenceRows }, chains };
	});
}

type Moments = Map<string, { becameCurrentAt: Date | null; retiredAt: Date | null }>;

function chainOf(runs: TrainingRun[], candidates: Map<string, LoopCandidate>, moments: Moments): LoopChain {
	const rm = runs.find((run) => run.kind === 'reward_model');
	const ppo = runs.find((run) => run.kind === 'ppo');
	const candidate = (ppo && candidates.get(ppo.id)) ?? null;
	const moment = candidate ? moments.get(candidate.id) : undefined;
	return {
		chain: Number(runs[0]!.chainKey.split('#')[1]),
		rewardModel: rm ? rewardModelOf(rm) : null,
		ppo: ppo ? ppoOf(ppo) : null,
		candidate,
		modelVersionId: candidate?.id ?? null,
		becameCurrentAt: moment?.becameCurrentAt ?? null,
		retiredAt: candidate?.status === 'retired' ? (moment?.retiredAt ?? null) : null
	};
}

function rewardModelOf(run: TrainingRun): LoopRewardModel {
	const view = metricsView(run.metrics);
	const check = view.status === 'read' && view.kind === 'reward_model' ? view.check : null;
	return { runId: run.id, state: run.state, accuracy: check?.accuracy ?? null, agreement: check?.agreement ?? null, flagged: check?.flagged ?? false };
}

function ppoOf(run: TrainingRun): LoopPpo {
	const view = metricsView(run.metrics);
	const file = view.status === 'read' && view.kind === 'ppo' ? view.file : null;
	return { runId: run.id, state: run.state, meanReward: file?.mean_reward ?? null, firstMeanReward: file?.first_mean_reward ?? null, kl: file?.kl ?? null };
}

/** The model version each PPO run registered, by run id. */
async function candidatesOf(db: DbOrTx, ppoRunIds: string[]): Promise<Map<string, LoopCandidate>> {
	if (ppoRunIds.length === 0) return new Map();
	const rows = await db
		.select({ id: modelVersion.id, name: modelVersion.name, status: modelVersion.status, runId: modelVersion.trainingRunId })
		.from(modelVersion)
		.where(inArray(modelVersion.trainingRunId, ppoRunIds));
	return new Map(rows.map(({ runId, ...model }) => [runId!, model]));
}

/**
 * When each model became current and was retired, from the audit log: a promotion is
 * `model.current` on the model; a retirement is `model.retire` on it, or a `model.current`
 * of another version that names it as the one it retired (registry.ts's makeCurrent). Both
 * target a model of the same persona, so the audit log's target index finds them.
 */
async function momentsOf(db: DbOrTx, personaId: string, modelIds: string[]): Promise<Moments> {
	const moments: Moments = new Map(modelIds.map((id) => [id, { becameCurrentAt: null, retiredAt: null }]));
	if (modelIds.length === 0) return moments;
	const personaModels = db.select({ id: sql<string>`${modelVersion.id}::text` }).from(modelVersion).where(eq(modelVersion.personaId, personaId));
	const events = await db
		.select({ action: auditEvent.action, targetId: auditEvent.targetId, retired: sql<string | null>`${auditEvent.details}->>'retired'`, at: auditEvent.createdAt })
		.from(auditEvent)
		.where(
			and(
				eq(auditEvent.targetType, 'model_version'),
				inArray(auditEvent.targetId, personaModels),
				inArray(auditEvent.action, ['model.current', 'model.retire'])
			)
		)
		.orderBy(auditEvent.createdAt, auditEvent.id);
	for (const event of events) {
		const promoted = event.action === 'model.current' ? moments.get(event.targetId ?? '') : undefined;
		if (promoted) promoted.becameCurrentAt = event.at;
		const retired = moments.get((event.action === 'model.retire' ? event.targetId : event.retired) ?? '');
		if (retired) retired.retiredAt = event.at;
	}
	return moments;
}
