import { describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createPersonaWithPrompts, createUsers } from '../support/fixtures';
import { endpointModel, roundsWorld, runSampling, splitsOf, trainedCandidate } from '../support/rounds';
import { rowsOf } from '../../src/lib/server/db';
import { auditEvent, job, pair } from '../../src/lib/server/db/schema';
import { FieldError } from '../../src/lib/server/errors';
import * as queue from '../../src/lib/server/queue';
import * as rounds from '../../src/lib/server/evaluation/rounds';
import { drawRoundPrompts, trainingVersionOf } from '../../src/lib/server/evaluation/round-prompts';
import * as sampling from '../../src/lib/server/sampling/jobs';
import { assertRoundOpen, samplingJobStatus } from '../../src/lib/server/sampling/status';

const world = roundsWorld();

async function roundPrompts(roundId: string): Promise<string[]> {
	const rows = rowsOf<{ prompt_id: string }>(
		await world.database.db.execute(sql`
			select distinct si.prompt_id from sampling_item si join evaluation_round r on r.sampling_job_id = si.job_id where r.id = ${roundId}`)
	);
	return rows.map((r) => r.prompt_id);
}

describe('the prompts of a round', () => {
	it('come only from the test split of the version that trained the candidate, drawn the same way for the same round', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(world.database.db, { prompts: 60, baseUrl: world.server.baseUrl });
		const { candidateId, versionId } = await trainedCandidate(world.database.db, { personaId, baseUrl: world.server.baseUrl, testPercent: 30 });
		const split = await splitsOf(world.database.db, versionId);
		const tests = [...split.values()].filter((s) => s === 'test').length;
		expect(tests).toBeGreaterThan(5);

		const created = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, candidateId], prompts: 5 }, world.admin);
		expect(created).toMatchObject({ number: 1, prompts: 5, promptSource: 'test_split' });
		const drawn = await roundPrompts(created.roundId);
		expect(drawn).toHaveLength(5);
		expect(drawn.map((id) => split.get(id))).toEqual(Array(5).fill('test'));
		// seeded by the round's id: the same round draws the same prompts again
		const version = await trainingVersionOf(world.database.db, candidateId);
		const again = await drawRoundPrompts(world.database.db, { id: created.roundId, personaId, candidateId, modelVersionIds: [modelId, candidateId], limit: 5 }, version);
		expect(again.promptIds.sort()).toEqual([...drawn].sort());

		const round = await rounds.getRound(world.database.db, created.roundId);
		expect(round).toMatchObject({ promptSource: 'test_split', promptsRequested: 5, prompts: 5, candidate: { id: candidateId }, baseline: { id: modelId } });
		expect(round.datasetVersion?.id).toBe(versionId);
		expect(round.models.map((m) => m.id).sort()).toEqual([modelId, candidateId].sort());
	});

	it('takes every test prompt there is when fewer than asked, and records both numbers', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(world.database.db, { prompts: 40, baseUrl: world.server.baseUrl });
		const { candidateId, versionId } = await trainedCandidate(world.database.db, { personaId, baseUrl: world.server.baseUrl, testPercent: 20 });
		const tests = [...(await splitsOf(world.database.db, versionId)).entries()].filter(([, s]) => s === 'test').map(([id]) => id);
		const created = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, candidateId], prompts: 500 }, world.admin);
		expect((await roundPrompts(created.roundId)).sort()).toEqual(tests.sort());
		expect(await rounds.getRound(world.database.db, created.roundId)).toMatchObject({ promptsRequested: 500, prompts: tests.length });
	});

	it('uses prompts no evaluated model was trained on when the candidate was registered by hand, and says so', async () => {
		const { personaId } = await createPersonaWithPrompts(world.database.db, { prompts: 30, baseUrl: world.server.baseUrl });
		const trained = await trainedCandidate(world.database.db, { personaId, baseUrl: world.server.baseUrl, testPercent: 10 });
		const byHand = await endpointModel(world.database.db, personaId, world.server.baseUrl);
		const split = await splitsOf(world.database.db, trained.versionId);
		// the trained model takes part as the other side: none of its training prompts may be drawn
		const created = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [trained.candidateId, byHand], candidateId: byHand, prompts: 30 }, world.admin);
		expect(created.promptSource).toBe('prompts');
		const drawn = await roundPrompts(created.roundId);
		expect(drawn.length).toBe([...split.values()].filter((s) => s === 'test').length);
		expect(drawn.every((id) => split.get(id) === 'test')).toBe(true);
		expect((await rounds.getRound(world.database.db, created.roundId)).datasetVersion).toBeNull();
	});

	it('refuses a round with no prompt to draw, naming prompts and saying why', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(world.database.db, { prompts: 10, baseUrl: world.server.baseUrl });
		const { candidateId } = await trainedCandidate(world.database.db, { personaId, baseUrl: world.server.baseUrl, testPercent: 0 });
		const attempt = rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, candidateId] }, world.admin);
		await expect(attempt).rejects.toBeInstanceOf(FieldError);
		await expect(attempt).rejects.toMatchObject({ field: 'prompts', message: expect.stringMatching(/test split/) });
		// all-or-nothing: no round, no job, no audit event
		expect(await rounds.listRounds(world.database.db, personaId)).toEqual([]);
		const jobs = await world.database.db.select().from(job).where(eq(job.personaId, personaId));
		expect(jobs).toEqual([]);
	});

	it('refuses models of another persona, the demo pool, and a current model as the candidate', async () => {
		const mine = await createPersonaWithPrompts(world.database.db, { prompts: 5, baseUrl: world.server.baseUrl });
		const theirs = await createPersonaWithPrompts(world.database.db, { prompts: 5, baseUrl: world.server.baseUrl });
		const other = await endpointModel(world.database.db, mine.personaId, world.server.baseUrl);
		await expect(rounds.createRound(world.database.db, mine.personaId, { modelVersionIds: [mine.modelId, theirs.modelId] }, world.admin)).rejects.toMatchObject({ field: 'modelVersionIds' });
		await expect(rounds.createRound(world.database.db, mine.personaId, { modelVersionIds: [mine.modelId, other], candidateId: mine.modelId }, world.admin)).rejects.toMatchObject({
			field: 'candidateId'
		});
		expect(rounds.roundInputSchema.safeParse({ modelVersionIds: [other, other] }).success).toBe(false);
		expect(rounds.roundInputSchema.safeParse({ modelVersionIds: [other] }).success).toBe(false);
	});
});

describe('sampling a round', () => {
	it('pairs every two models on each prompt, with the round id, overlap and priority, and keeps near-identical replies', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(world.database.db, { prompts: 4, baseUrl: world.server.baseUrl });
		const second = await endpointModel(world.database.db, personaId, world.server.baseUrl);
		const third = await endpointModel(world.database.db, personaId, world.server.baseUrl, 'retired');
		world.server.setOptions({ identical: true });
		try {
			const created = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, second, third], overlap: 2, priority: 7 }, world.admin);
			await runSampling(world.database.db);
			const pairs = await world.database.db.select().from(pair).where(eq(pair.personaId, personaId));
			// 3 models: 3 pairs per prompt, near-identical replies kept
			expect(pairs).toHaveLength(4 * 3);
			expect(pairs.every((p) => p.evaluationRoundId === created.roundId && p.overlap === 2 && p.priority === 7)).toBe(true);
			const progress = await sampling.samplingProgress(world.database.db, created.jobId);
			expect(progress).toMatchObject({ total: 12, done: 12, pairs: 12, nearIdentical: 0 });
			const summary = await rounds.getRound(world.database.db, created.roundId);
			expect(summary).toMatchObject({ pairs: 12, votes: 0, samplingJob: { id: created.jobId, status: 'succeeded' } });
		} finally {
			world.server.setOptions({ identical: false });
		}
	});

	it('hands evaluation pairs out blind, exactly like a regular pair', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(world.database.db, { prompts: 3, baseUrl: world.server.baseUrl });
		const other = await endpointModel(world.database.db, personaId, world.server.baseUrl);
		await sampling.createSamplingJob(world.database.db, personaId, sampling.samplingSpecSchema.parse({ selection: { limit: 1 }, strategy: { kind: 'temperatures', temperatures: [0.2, 1.2] }, priority: 50 }), world.admin);
		await rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, other], prompts: 3, priority: 10 }, world.admin);
		await runSampling(world.database.db);
		const [annotator] = await createUsers(world.database.db, 1);
		const hand = await queue.pairsInHand(world.database.db, annotator!.id, personaId, { leaseMinutes: 20 });
		expect(hand).toHaveLength(2);
		const [regular, evaluation] = hand; // the regular pair has the higher priority
		const [stored] = await world.database.db.select().from(pair).where(eq(pair.id, evaluation!.pairId));
		expect(stored!.evaluationRoundId).not.toBeNull();
		expect(Object.keys(evaluation!).sort()).toEqual(Object.keys(regular!).sort());
		expect(Object.keys(evaluation!.left).sort()).toEqual(Object.keys(regular!.left).sort());
		const payload = JSON.stringify(evaluation);
		const names = rowsOf<{ name: string; id: string }>(await world.database.db.execute(sql`select name, id from model_version where persona_id = ${personaId}`));
		for (const model of names) {
			expect(payload).not.toContain(model.name);
			expect(payload).not.toContain(model.id);
		}
		expect(payload).not.toMatch(/model=|evaluation|round/i);
	});
});

describe('closing a round', () => {
	it('cancels its sampling job, makes no new pairs, and is safe to repeat', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(world.database.db, { prompts: 4, baseUrl: world.server.baseUrl });
		const other = await endpointModel(world.database.db, personaId, world.server.baseUrl);
		const created = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, other] }, world.admin);
		expect(await rounds.closeRound(world.database.db, created.roundId, world.admin)).toEqual({ already: false });
		expect(await rounds.closeRound(world.database.db, created.roundId, world.admin)).toEqual({ already: true });
		await runSampling(world.database.db);
		const [sampled] = await world.database.db.select().from(job).where(eq(job.id, created.jobId));
		expect(sampled!.status).toBe('cancelled');
		expect(await world.database.db.select().from(pair).where(eq(pair.personaId, personaId))).toEqual([]);
		const summary = await rounds.getRound(world.database.db, created.roundId);
		expect(summary.closedAt).toBeInstanceOf(Date);
		// the job page says whose job it is, and will not resume it
		const status = await samplingJobStatus(world.database.db, created.jobId);
		expect(status.evaluationRound).toEqual({ id: created.roundId, number: created.number, closed: true });
		expect(() => assertRoundOpen(status)).toThrow(/closed/);
		const events = await world.database.db.select().from(auditEvent).where(eq(auditEvent.targetId, created.roundId));
		expect(events.map((e) => e.action).sort()).toEqual(['evaluation.round.close', 'evaluation.round.create']);
	});

	it('lists a persona\'s rounds newest first and a model\'s rounds', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(world.database.db, { prompts: 4, baseUrl: world.server.baseUrl });
		const a = await endpointModel(world.database.db, personaId, world.server.baseUrl);
		const b = await endpointModel(world.database.db, personaId, world.server.baseUrl);
		const first = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, a] }, world.admin);
		const second = await rounds.createRound(world.database.db, personaId, { modelVersionIds: [modelId, b] }, world.admin);
		expect((await rounds.listRounds(world.database.db, personaId)).map((r) => [r.id, r.number])).toEqual([
			[second.roundId, 2],
			[first.roundId, 1]
		]);
		expect((await rounds.roundsOf(world.database.db, a)).map((r) => r.id)).toEqual([first.roundId]);
		expect((await rounds.roundsOf(world.database.db, modelId)).map((r) => r.id)).toEqual([second.roundId, first.roundId]);
		await expect(rounds.getRound(world.database.db, 'not-a-uuid')).rejects.toThrow(/does not exist/);
	});
});
