import { describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createPersonaWithPrompts, createUsers } from '../support/fixtures';
import { endpointModel, roundsWorld, runSampling } from '../support/rounds';
import { annotate, type SyntheticAnnotator } from '../support/synthetic-annotators';
import { auditEvent, candidate, job, modelVersion, pair, type Choice } from '../../src/lib/server/db/schema';
import { runNext } from '../../src/lib/server/jobs/runner';
import * as rounds from '../../src/lib/server/evaluation/rounds';
import { roundResults, verdictFor } from '../../src/lib/server/evaluation/results';
import { parseEvaluationSettings, saveEvaluationSettings } from '../../src/lib/server/evaluation/settings';
import { watchJobHandler } from '../../src/lib/server/evaluation/watch';
import { WATCH_JOB, watchDedupeKey } from '../../src/lib/server/evaluation/watch-key';

/*
 * End to end, through the OpenAI-compatible test server and the annotators'
 * own queue path: a round is sampled, its pairs are judged by synthetic
 * annotators who prefer the candidate's reply on a known share of the pairs,
 * and the round's results, the verdict and the watch job act on those votes.
 */

const PROMPTS = 150;

const world = roundsWorld();

type Evaluated = { personaId: string; currentId: string; candidateId: string; roundId: string; crowd: SyntheticAnnotator[]; truthOf: (pairId: string) => Choice };

/**
 * A round of the current model against a candidate on PROMPTS prompts, sampled;
 * the truth of exactly `share` of its pairs (taken in id order) is the candidate's reply.
 */
async function evaluatedRound(share: number): Promise<Evaluated> {
	const { personaId, modelId: currentId } = await createPersonaWithPrompts(world.database.db, { prompts: PROMPTS, baseUrl: world.server.baseUrl });
	const candidateId = await endpointModel(world.database.db, personaId, world.server.baseUrl);
	const { roundId } = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [currentId, candidateId], prompts: PROMPTS }, world.admin);
	await runSampling(world.database.db);
	const pairs = await world.database.db
		.select({ id: pair.id, aModel: candidate.modelVersionId })
		.from(pair)
		.innerJoin(candidate, eq(candidate.id, pair.candidateAId))
		.where(eq(pair.evaluationRoundId, roundId))
		.orderBy(pair.id);
	expect(pairs).toHaveLength(PROMPTS);
	const preferred = Math.round(share * pairs.length);
	const truths = new Map(pairs.map((p, i) => [p.id, (i < preferred) === (p.aModel === candidateId) ? ('a' as const) : ('b' as const)]));
	const people = await createUsers(world.database.db, 3);
	return { personaId, currentId, candidateId, roundId, crowd: people.map((p) => ({ id: p.id, behaviour: 'truthful' })), truthOf: (id) => truths.get(id)! };
}

/** Each annotator of the crowd submits `each` votes through the queue. */
async function vote(evaluated: Evaluated, each: number, seed: number): Promise<void> {
	await annotate(world.database.db, evaluated.personaId, evaluated.crowd, { rounds: each, checkEvery: 0, truthOf: evaluated.truthOf, seed });
}

/** Runs the round's watch job once, now. */
async function watch(roundId: string): Promise<typeof job.$inferSelect> {
	const [watcher] = await world.database.db.select().from(job).where(eq(job.dedupeKey, watchDedupeKey(roundId)));
	await world.database.db.update(job).set({ runAfter: sql`now()` }).where(eq(job.id, watcher!.id));
	await runNext(world.database.db, 'spec', { [WATCH_JOB]: watchJobHandler({ pollMs: 10 }) }, undefined, watcher!.id);
	return (await world.database.db.select().from(job).where(eq(job.id, watcher!.id)))[0]!;
}

async function statusOf(modelId: string): Promise<string> {
	const [model] = await world.database.db.select({ status: modelVersion.status }).from(modelVersion).where(eq(modelVersion.id, modelId));
	return model!.status;
}

describe('a round end to end', () => {
	it('finds a candidate preferred 70 % of the time better, once enough votes are in, and promotes it only when the setting is on', async () => {
		const evaluated = await evaluatedRound(0.7);
		await vote(evaluated, 20, 1);
		const early = await verdictFor(world.database.db, evaluated.candidateId);
		expect(early.outcome).toBe('not_yet_known');
		expect(early.record?.votes).toBe(60);
		expect(early.reason).toMatch(/waits for 40 more/);

		await vote(evaluated, 30, 2);
		const results = await roundResults(world.database.db, await rounds.getRound(world.database.db, evaluated.roundId));
		const [record] = results.headToHead;
		expect(record).toMatchObject({ a: { id: evaluated.candidateId }, b: { id: evaluated.currentId }, votes: PROMPTS, wins: 105, losses: 45, ties: 0 });
		expect(record!.winRate).toBeCloseTo(0.7, 10);
		expect(record!.low!).toBeLessThan(0.7);
		expect(record!.high!).toBeGreaterThan(0.7);
		expect(record!.low!).toBeGreaterThan(0.5);
		const verdict = await verdictFor(world.database.db, evaluated.candidateId);
		expect(verdict.outcome).toBe('better');

		// autoPromote off (the default): the watch keeps looking and promotes nothing
		const looked = await watch(evaluated.roundId);
		expect(looked.status).toBe('queued');
		expect(looked.progress).toMatchObject({ outcome: 'better', votes: PROMPTS, autoPromote: false });
		expect(await statusOf(evaluated.candidateId)).toBe('candidate');

		await saveEvaluationSettings(world.database.db, evaluated.personaId, parseEvaluationSettings({ autoPromote: true }));
		const promoted = await watch(evaluated.roundId);
		expect(promoted.status).toBe('succeeded');
		expect(await statusOf(evaluated.candidateId)).toBe('current');
		expect(await statusOf(evaluated.currentId)).toBe('retired');
		const [event] = await world.database.db
			.select()
			.from(auditEvent)
			.where(and(eq(auditEvent.action, 'model.current'), eq(auditEvent.targetId, evaluated.candidateId)));
		expect(event!.actorId).toBeNull();
		expect(event!.details).toMatchObject({ verdict: { outcome: 'better', votes: PROMPTS, roundId: evaluated.roundId } });
	});

	it('keeps the verdict "not yet known" for a candidate preferred half the time, and never promotes it', async () => {
		const evaluated = await evaluatedRound(0.5);
		await saveEvaluationSettings(world.database.db, evaluated.personaId, parseEvaluationSettings({ autoPromote: true }));
		await vote(evaluated, 50, 3);
		const verdict = await verdictFor(world.database.db, evaluated.candidateId);
		expect(verdict.record).toMatchObject({ votes: PROMPTS, wins: 75, losses: 75 });
		expect(verdict.record!.low!).toBeLessThan(0.5);
		expect(verdict.record!.high!).toBeGreaterThan(0.5);
		expect(verdict.outcome).toBe('not_yet_known');
		const looked = await watch(evaluated.roundId);
		expect(looked.status).toBe('queued');
		expect(await statusOf(evaluated.candidateId)).toBe('candidate');
	});

	it('stops watching a round once it is closed', async () => {
		const evaluated = await evaluatedRound(0.7);
		await rounds.closeRound(world.database.db, evaluated.roundId, world.admin);
		const ended = await watch(evaluated.roundId);
		expect(ended.status).toBe('succeeded');
		expect(ended.progress).toMatchObject({ ended: expect.stringMatching(/closed/) });
	});
});
