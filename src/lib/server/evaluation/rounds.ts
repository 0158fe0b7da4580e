import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import * as audit from '../audit';
import { rowsOf, type Db, type Tx } from '../db';
import { evaluationRound, job, modelVersion } from '../db/schema';
import { FieldError, isUniqueViolation, NotFoundError } from '../errors';
import { log } from '../log';
import { insertSamplingJob } from '../sampling/jobs';
import { samplingSpecSchema } from '../sampling/spec';
import type { RoundActor } from './round-close';
import { drawRoundPrompts, trainingVersionOf } from './round-prompts';
import { insertRound } from './round-rows';
import { evaluationSettingsSchema, readEvaluationSettings } from './settings';
import { WATCH_JOB, watchDedupeKey } from './watch-key';

export { getRound, listRounds, roundsOf } from './round-summary';
export { closeRound, type RoundActor } from './round-close';

const setting = evaluationSettingsSchema.shape;

/**
 * What starts a round. Left out, prompts, overlap, priority and temperature
 * are the persona's evaluation settings (evaluation/settings.ts). Retired
 * versions may take part: measuring a candidate against the model before the
 * current one is a fair question, and the leaderboard rates every version.
 */
export const roundInputSchema = z.object({
	modelVersionIds: z
		.array(z.uuid({ error: 'Not a model version.' }))
		.min(2, 'Choose at least 2 models.')
		.max(6, 'At most 6 models.')
		.refine((ids) => new Set(ids).size === ids.length, 'Choose each model once.'),
	/** The model the round's verdict is about; by default the newest model among them that is not current. */
	candidateId: z.uuid({ error: 'Not a model version.' }).nullish(),
	prompts: setting.prompts.unwrap().optional(),
	overlap: setting.overlap.unwrap().optional(),
	priority: setting.priority.unwrap().optional(),
	temperature: setting.temperature.unwrap().optional()
});
export type RoundInput = z.infer<typeof roundInputSchema>;

export type CreatedRound = { roundId: string; number: number; jobId: string; prompts: number; promptSource: 'test_split' | 'prompts' };

type RoundModel = { id: string; kind: string; status: string; createdAt: Date };

/** The round's models, checked: all of the persona and served by a model server. */
async function modelsOf(db: Db, personaId: string, ids: readonly string[]): Promise<RoundModel[]> {
	const found = await db
		.select({ id: modelVersion.id, kind: modelVersion.kind, status: modelVersion.status, createdAt: modelVersion.createdAt })
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, personaId), inArray(modelVersion.id, [...ids])));
	if (found.length !== ids.length) throw new FieldError('modelVersionIds', 'Every model must be a model version of this persona.');
	if (found.some((m) => m.kind !== 'endpoint'))
		throw new FieldError('modelVersionIds', 'Only model servers can take part: the demo pool and approved gold edits cannot be asked for new replies.');
	return found;
}

/** The candidate (given, or the newest model that is not current) and the baseline (the current model, if it takes part). */
function rolesOf(models: RoundModel[], candidateId: string | null | undefined): { candidateId: string; baselineId: string | null } {
	const current = models.find((m) => m.status === 'current');
	if (candidateId) {
		if (!models.some((m) => m.id === candidateId)) throw new FieldError('candidateId', 'The candidate must be one of the models in the round.');
		if (candidateId === current?.id) throw new FieldError('candidateId', 'The current model is what a candidate is measured against: choose another model as the candidate.');
	}
	const newest = models.filter((m) => m.status !== 'current').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]!;
	return { candidateId: candidateId ?? newest.id, baselineId: current?.id ?? null };
}

type RoundSize = { prompts: number; overlap: number; priority: number; temperature: number };

/** The round's sampling job (every model's reply to each prompt, paired into the round) and its watch job. */
async function startJobs(
	tx: Tx,
	personaId: string,
	roundId: string,
	modelVersionIds: string[],
	promptIds: string[],
	size: RoundSize,
	createdBy: string | null
): Promise<{ jobId: string; prompts: number }> {
	const spec = samplingSpecSchema.parse({
		selection: { promptIds, limit: promptIds.length },
		strategy: { kind: 'models', modelVersionIds, temperature: size.temperature },
		priority: size.priority,
		evaluation: { roundId, overlap: size.overlap }
	});
	const sampling = await insertSamplingJob(tx, personaId, spec, createdBy);
	await tx.update(evaluationRound).set({ samplingJobId: sampling.jobId }).where(eq(evaluationRound.id, roundId));
	await tx.insert(job).values({ kind: WATCH_JOB, payload: { roundId }, personaId, dedupeKey: watchDedupeKey(roundId) });
	return sampling;
}

/**
 * Starts a round in one transaction with its audit event: the round and its
 * models, the prompts drawn (round-prompts.ts), a sampling job that asks every
 * model for a reply to each and pairs every two replies into the round's
 * pairs, and the job that watches the round (watch.ts).
 */
export async function createRound(db: Db, personaId: string, input: RoundInput, actor: RoundActor, source: 'admin' | 'chain' = 'admin'): Promise<CreatedRound> {
	const settings = await readEvaluationSettings(db, personaId);
	const models = await modelsOf(db, personaId, input.modelVersionIds);
	const roles = rolesOf(models, input.candidateId);
	const version = await trainingVersionOf(db, roles.candidateId);
	const size: RoundSize = {
		prompts: input.prompts ?? settings.prompts,
		overlap: input.overlap ?? settings.overlap,
		priority: input.priority ?? settings.priority,
		temperature: input.temperature ?? settings.temperature
	};
	return db.transaction(async (tx) => {
		const round = await insertRound(
			tx,
			{
				priority: size.priority,
				overlap: size.overlap,
				temperature: size.temperature,
				personaId,
				source,
				candidateModelVersionId: roles.candidateId,
				baselineModelVersionId: roles.baselineId,
				promptSource: version ? 'test_split' : 'prompts',
				datasetVersionId: version?.id ?? null,
				promptsRequested: size.prompts,
				createdBy: actor.id
			},
			input.modelVersionIds
		);
		const drawn = await drawRoundPrompts(tx, { id: round.id, personaId, candidateId: roles.candidateId, modelVersionIds: input.modelVersionIds, limit: size.prompts }, version);
		const sampling = await startJobs(tx, personaId, round.id, input.modelVersionIds, drawn.promptIds, size, actor.id);
		await audit.record(tx, {
			actorId: actor.id,
			action: 'evaluation.round.create',
			targetType: 'evaluation_round',
			targetId: round.id,
			details: { number: round.number, source, models: input.modelVersionIds, candidate: roles.candidateId, baseline: roles.baselineId, ...size, promptsUsed: sampling.prompts, promptSource: drawn.promptSource, jobId: sampling.jobId },
			ip: actor.ip
		});
		return { roundId: round.id, number: round.number, jobId: sampling.jobId, prompts: sampling.prompts, promptSource: drawn.promptSource };
	});
}

/**
 * The training chain's round: a candidate it just registered against the
 * persona's current model, with the persona's settings. At most one per
 * candidate (unique index `evaluation_round_chain_unique`): a retried chain
 * step finds the round it made. Null when there is nothing to compare with.
 */
export async function startRoundForCandidate(db: Db, modelVersionId: string): Promise<{ roundId: string } | null> {
	const existing = await chainRoundOf(db, modelVersionId);
	if (existing) return existing;
	const [candidate] = await db.select().from(modelVersion).where(eq(modelVersion.id, modelVersionId));
	if (!candidate) throw new NotFoundError('That model version does not exist.');
	const [current] = await db
		.select({ id: modelVersion.id, kind: modelVersion.kind })
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, candidate.personaId), eq(modelVersion.status, 'current')));
	if (!current || current.kind !== 'endpoint' || current.id === candidate.id) {
		const why = !current ? 'the persona has no current model' : current.id === candidate.id ? 'the model is current already' : 'the current model is not a model server (the demo pool)';
		log.info({ modelVersionId, personaId: candidate.personaId }, `no evaluation round for the new candidate: ${why}, so there is nothing to compare it with`);
		return null;
	}
	try {
		const created = await createRound(db, candidate.personaId, { modelVersionIds: [current.id, candidate.id], candidateId: candidate.id }, { id: null }, 'chain');
		return { roundId: created.roundId };
	} catch (error) {
		// Two tries at once: the other one made it.
		if (isUniqueViolation(error, 'evaluation_round_chain_unique')) return chainRoundOf(db, modelVersionId);
		throw error;
	}
}

async function chainRoundOf(db: Db, modelVersionId: string): Promise<{ roundId: string } | null> {
	const [found] = rowsOf<{ id: string }>(
		await db.execute(sql`select id from evaluation_round where candidate_model_version_id = ${modelVersionId} and source = 'chain'`)
	);
	return found ? { roundId: found.id } : null;
}

/**
 * The chain's step after it registers a candidate: a round when the persona's
 * `roundOnCandidate` says so. A candidate that cannot be evaluated (no prompt
 * left to draw) is noted in the chain's progress; the training itself succeeded.
 */
export async function roundOnCandidate(db: Db, modelVersionId: string): Promise<{ evaluationRoundId?: string; evaluationNote?: string }> {
	const [model] = await db.select({ personaId: modelVersion.personaId }).from(modelVersion).where(eq(modelVersion.id, modelVersionId));
	if (!model || !(await readEvaluationSettings(db, model.personaId)).roundOnCandidate) return {};
	try {
		const round = await startRoundForCandidate(db, modelVersionId);
		return round ? { evaluationRoundId: round.roundId } : { evaluationNote: 'No evaluation round: the persona has no current model server to compare with.' };
	} catch (error) {
		if (error instanceof FieldError) return { evaluationNote: `No evaluation round: ${error.message}` };
		throw error;
	}
}
