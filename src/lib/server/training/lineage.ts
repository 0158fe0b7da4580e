import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { dataset, datasetVersion, modelVersion, persona, trainingRun } from '../db/schema';
import type { TrainingConfig } from '../config';
import { NotFoundError } from '../errors';
import { servedModelName, servingUrl, type ChainSubject } from './requests';
import type { TrainingRun } from './runs';

/**
 * Where models come from and where they go: the policy a PPO run starts from,
 * the candidate model version a finished chain registers, and the lineage of
 * a model version back to the judgments behind its dataset version.
 */

/**
 * The persona's current model as PPO's starting policy: its trained weights if the platform
 * trained it, its Hugging Face id if it has one, else TRAINING_BASE_MODEL.
 */
export async function policyOf(db: DbOrTx, versionId: string, training: TrainingConfig): Promise<{ model: string; modelVersionId: string | null }> {
	const [current] = await db
		.select({ id: modelVersion.id, kind: modelVersion.kind, model: modelVersion.model, trainedBy: modelVersion.trainingRunId })
		.from(datasetVersion)
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
		.innerJoin(modelVersion, and(eq(modelVersion.personaId, dataset.personaId), eq(modelVersion.status, 'current')))
		.where(eq(datasetVersion.id, versionId));
	if (!current) return { model: training.baseModel, modelVersionId: null };
	if (current.trainedBy) {
		const [producer] = await db.select({ parameters: trainingRun.parameters }).from(trainingRun).where(eq(trainingRun.id, current.trainedBy));
		const weights = producer?.parameters.output_uri;
		if (typeof weights === 'string') return { model: weights, modelVersionId: current.id };
	}
	// A served name (`llama3.1:8b`, `policy-v7`) is not something PPO can download; a Hugging Face id (`org/name`) is.
	const huggingFaceId = current.kind === 'endpoint' && current.model && /^[\w.-]+\/[\w.-]+$/.test(current.model);
	return { model: huggingFaceId ? current.model! : training.baseModel, modelVersionId: current.id };
}

/** The trained policy as a candidate model version, served where SERVING_URL_TEMPLATE says; once per PPO run. */
export async function registerCandidate(db: Db, ppo: TrainingRun, subject: ChainSubject, training: TrainingConfig): Promise<{ id: string; name: string }> {
	const [known] = await db.select({ id: modelVersion.id, name: modelVersion.name }).from(modelVersion).where(eq(modelVersion.trainingRunId, ppo.id));
	if (known) return known;
	const [owner] = await db
		.select({ personaId: dataset.personaId })
		.from(datasetVersion)
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
		.where(eq(datasetVersion.id, ppo.datasetVersionId));
	const name = servedModelName(subject);
	const [created] = await db
		.insert(modelVersion)
		.values({
			personaId: owner!.personaId,
			name,
			kind: 'endpoint',
			baseUrl: servingUrl(training, subject, training.kfp?.namespace ?? null),
			model: name,
			status: 'candidate',
			trainingRunId: ppo.id
		})
		.returning({ id: modelVersion.id, name: modelVersion.name });
	return created!;
}

export type Lineage = {
	model: { id: string; name: string; status: string; baseUrl: string | null; model: string | null; createdAt: Date };
	ppo: TrainingRun | null;
	rewardModel: TrainingRun | null;
	basePolicy: { id: string; name: string } | null;
	datasetVersion: { id: string; version: number; datasetId: string; datasetName: string; datasetSlug: string; persona: string; manifestSha256: string | null } | null;
	judgments: { total: number; annotators: number; first: Date | null; last: Date | null };
};

/** A model version, the runs that made it, the dataset version they trained on, and the judgments in it. */
export async function lineageOf(db: DbOrTx, modelVersionId: string): Promise<Lineage> {
	const [model] = await db.select().from(modelVersion).where(eq(modelVersion.id, modelVersionId));
	if (!model) throw new NotFoundError('That model version does not exist.');
	const ppo = model.trainingRunId ? ((await db.select().from(trainingRun).where(eq(trainingRun.id, model.trainingRunId)))[0] ?? null) : null;
	const rewardModel = ppo?.parentRunId ? ((await db.select().from(trainingRun).where(eq(trainingRun.id, ppo.parentRunId)))[0] ?? null) : null;
	const basePolicy = ppo?.baseModelVersionId
		? ((await db.select({ id: modelVersion.id, name: modelVersion.name }).from(modelVersion).where(eq(modelVersion.id, ppo.baseModelVersionId)))[0] ?? null)
		: null;
	const versionId = ppo?.datasetVersionId ?? null;
	const [version] = versionId
		? await db
				.select({
					id: datasetVersion.id,
					version: datasetVersion.version,
					datasetId: dataset.id,
					datasetName: dataset.name,
					datasetSlug: dataset.slug,
					persona: persona.slug
				})
				.from(datasetVersion)
				.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
				.innerJoin(persona, eq(persona.id, dataset.personaId))
				.where(eq(datasetVersion.id, versionId))
		: [];
	const [votes] = versionId
		? rowsOf<{ total: number; annotators: number; first: Date | null; last: Date | null }>(
				await db.execute(sql`
					select count(*)::int as total, count(distinct j.annotator_id)::int as annotators, min(j.created_at) as first, max(j.created_at) as last
					from dataset_version_row r join judgment j on j.id = r.judgment_id
					where r.dataset_version_id = ${versionId} and r.kind = 'vote'`)
			)
		: [];
	return {
		model,
		ppo,
		rewardModel,
		basePolicy,
		datasetVersion: version ? { ...version, manifestSha256: typeof ppo?.parameters.manifest_sha256 === 'string' ? ppo.parameters.manifest_sha256 : null } : null,
		judgments: votes
			? { total: Number(votes.total), annotators: Number(votes.annotators), first: votes.first && new Date(votes.first), last: votes.last && new Date(votes.last) }
			: { total: 0, annotators: 0, first: null, last: null }
	};
}
