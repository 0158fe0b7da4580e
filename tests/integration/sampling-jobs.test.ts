import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/database';
import { createPersonaWithPrompts, createUsers } from '../support/fixtures';
import { startModelServer, type ModelServer } from '../support/openai-server';
import { rowsOf } from '../../src/lib/server/db';
import { job } from '../../src/lib/server/db/schema';
import * as sampling from '../../src/lib/server/sampling/jobs';
import { runSamplingJob } from '../../src/lib/server/sampling/worker';
import * as jobs from '../../src/lib/server/jobs/queue';
import { runNext, startWorker } from '../../src/lib/server/jobs/runner';

let database: TestDatabase;
let server: ModelServer;
let admin: { id: string };
const handlers = { [sampling.SAMPLING_JOB]: runSamplingJob };

beforeAll(async () => {
	database = await createTestDatabase();
	admin = (await createUsers(database.db, 1, { role: 'admin' }))[0]!;
	server = await startModelServer({ mode: 'vllm' });
});
afterAll(async () => {
	await server.close();
	await database.close();
});
afterEach(() => {
	server.setOptions({ mode: "vllm", latencyMs: 0, failFirst: { status: 500, count: 0 }, identical: false, truncate: false, malformed: false, hang: false });
	server.requests.length = 0;
});

function spec(overrides: Partial<sampling.SamplingSpec> = {}): sampling.SamplingSpec {
	return sampling.samplingSpecSchema.parse({
		selection: { limit: 1000 },
		strategy: { kind: 'temperatures', temperatures: [0.7, 1.1] },
		concurrency: 4,
		timeoutSeconds: 5,
		maxRetries: 2,
		...overrides
	});
}

async function run(jobId: string): Promise<typeof job.$inferSelect> {
	while (await runNext(database.db, 'test-worker', handlers)) {
		/* run until no job is left */
	}
	return (await jobs.getJob(database.db, jobId))!;
}

async function candidatesOf(personaId: string) {
	return rowsOf<{ text: string; params: Record<string, unknown>; finish_reason: string | null; completion_tokens: number | null; latency_ms: number | null; source: string }>(
		await database.db.execute(sql`
			select c.text, c.params, c.finish_reason, c.completion_tokens, c.latency_ms, c.source
			from candidate c join prompt p on p.id = c.prompt_id where p.persona_id = ${personaId}`)
	);
}

describe('sampling jobs', () => {
	it('samples each prompt at two temperatures, records every reply, and pairs them', async () => {
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 6, baseUrl: server.baseUrl });
		const { jobId, items } = await sampling.createSamplingJob(database.db, personaId, spec(), admin);
		expect(items).toBe(12);
		expect((await run(jobId)).status).toBe('succeeded');
		const replies = await candidatesOf(personaId);
		expect(replies).toHaveLength(12);
		for (const r of replies) {
			expect(r.source).toBe('sampled');
			expect([0.7, 1.1]).toContain(r.params.temperature);
			expect(r.finish_reason).toBe('stop');
			expect(r.completion_tokens).toBeGreaterThan(0);
			expect(r.latency_ms).toBeGreaterThanOrEqual(0);
		}
		const [pairs] = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from pair where persona_id = ${personaId}`));
		expect(pairs!.n).toBe(6);
		const progress = await sampling.samplingProgress(database.db, jobId);
		expect(progress).toMatchObject({ total: 12, done: 12, failed: 0, pairs: 6, nearIdentical: 0 });
		// the persona's system prompt went with every request
		expect(server.requests.every((r) => r.body.messages[0].role === 'system' && /codeLynn/.test(r.body.messages[0].content))).toBe(true);
	});

	it('asks a server that ignores n (Ollama) once per seed, and records each seed', async () => {
		server.setOptions({ mode: 'ollama' });
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 2, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec({ strategy: { kind: 'seeds', n: 4, temperature: 0.8 } }), admin);
		expect((await run(jobId)).status).toBe('succeeded');
		const replies = await candidatesOf(personaId);
		expect(replies).toHaveLength(8);
		// one seed per slot, the same for every prompt of the job (reproducible), different within a prompt
		const seeds = replies.map((r) => r.params.seed as number);
		expect(new Set(seeds).size).toBe(4);
		expect(new Set(replies.map((r) => r.text)).size).toBe(8);
		expect(server.requests.length).toBeGreaterThanOrEqual(8);
		expect((await sampling.samplingProgress(database.db, jobId)).pairs).toBe(4);
	});

	it('drops near-identical pairs and counts them; flags replies cut off at the token limit', async () => {
		server.setOptions({ identical: true, truncate: true });
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 3, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec(), admin);
		await run(jobId);
		const progress = await sampling.samplingProgress(database.db, jobId);
		expect(progress, JSON.stringify(progress.recentErrors)).toMatchObject({ done: 6, pairs: 0, nearIdentical: 3, truncated: 6 });
	});

	it('waits out rate limits (Retry-After) and 5xx, and keeps every reply', async () => {
		server.setOptions({ failFirst: { status: 429, count: 2, retryAfterSeconds: 1 } });
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 2, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec({ concurrency: 1 }), admin);
		expect((await run(jobId)).status).toBe('succeeded');
		expect((await sampling.samplingProgress(database.db, jobId)).done).toBe(4);
	});

	it('ends a request that keeps failing with the server’s words on the job page, and a resume retries only it', async () => {
		server.setOptions({ failFirst: { status: 500, count: 3 } });
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 3, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec({ concurrency: 1, maxRetries: 0 }), admin);
		const finished = await run(jobId);
		expect(finished.status).toBe('succeeded');
		let progress = await sampling.samplingProgress(database.db, jobId);
		expect(progress).toMatchObject({ done: 3, failed: 3 });
		expect(progress.recentErrors[0]?.error).toMatch(/500/);
		expect(finished.lastError).toMatch(/3 of 6 replies failed/);
		const requestsBefore = server.requests.length;
		expect(await sampling.requeueFailed(database.db, jobId)).toBe(3);
		await jobs.resume(database.db, jobId);
		await run(jobId);
		progress = await sampling.samplingProgress(database.db, jobId);
		expect(progress).toMatchObject({ done: 6, failed: 0, pairs: 3 });
		expect(server.requests.length - requestsBefore).toBe(3);
		expect(await candidatesOf(personaId)).toHaveLength(6);
	});

	it('names a hanging server’s timeout and a garbled answer on the job page', async () => {
		server.setOptions({ hang: true });
		const hung = await createPersonaWithPrompts(database.db, { prompts: 1, baseUrl: server.baseUrl });
		const first = await sampling.createSamplingJob(database.db, hung.personaId, spec({ timeoutSeconds: 1, maxRetries: 0 }), admin);
		expect((await run(first.jobId)).status).toBe('failed');
		expect((await sampling.samplingProgress(database.db, first.jobId)).recentErrors[0]?.error).toMatch(/timed out|timeout/i);

		server.setOptions({ hang: false, malformed: true });
		const garbled = await createPersonaWithPrompts(database.db, { prompts: 1, baseUrl: server.baseUrl });
		const second = await sampling.createSamplingJob(database.db, garbled.personaId, spec({ maxRetries: 0 }), admin);
		expect((await run(second.jobId)).status).toBe('failed');
		expect((await sampling.samplingProgress(database.db, second.jobId)).recentErrors[0]?.error).toMatch(/not a chat completion|JSON/i);
	});

	it('stops on cancel, keeps what is done, and a resumed job asks only for the rest', async () => {
		server.setOptions({ latencyMs: 150 });
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 20, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec({ concurrency: 2 }), admin);
		const running = runNext(database.db, 'test-worker', handlers);
		while ((await sampling.samplingProgress(database.db, jobId)).done < 2) await new Promise((r) => setTimeout(r, 20));
		await jobs.requestCancel(database.db, jobId);
		await running;
		const afterCancel = await jobs.getJob(database.db, jobId);
		const progressAtCancel = await sampling.samplingProgress(database.db, jobId);
		expect(afterCancel!.status).toBe('cancelled');
		expect(progressAtCancel.done).toBeLessThan(40);
		expect(progressAtCancel.running).toBe(0);
		await jobs.resume(database.db, jobId);
		expect((await run(jobId)).status).toBe('succeeded');
		expect(await candidatesOf(personaId)).toHaveLength(40);
		const [items] = rowsOf<{ asked: number }>(await database.db.execute(sql`select count(*)::int as asked from sampling_item where job_id = ${jobId} and status = 'done'`));
		expect(items!.asked).toBe(40);
		// nothing was asked twice: one request per reply
		expect(server.requests.length).toBe(40);
	});

	it('survives its worker dying: another worker picks the job up and redoes nothing that was done', async () => {
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 4, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec(), admin);
		// a worker claimed it, finished one prompt, and died (its locks lapse)
		const claimed = await jobs.claim(database.db, 'dead-worker', [sampling.SAMPLING_JOB]);
		expect(claimed?.id).toBe(jobId);
		await database.db.execute(sql`update sampling_item set status = 'running', locked_until = now() - interval '1 second' where job_id = ${jobId}`);
		await database.db.update(job).set({ lockedUntil: new Date(Date.now() - 1000) }).where(eq(job.id, jobId));
		expect((await run(jobId)).status).toBe('succeeded');
		expect(await candidatesOf(personaId)).toHaveLength(8);
	});

	it(`never runs one job twice when several instances poll (${testDatabaseKind()})`, async () => {
		server.setOptions({ latencyMs: 20 });
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 12, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec(), admin);
		const workers = [1, 2, 3].map((i) => startWorker(database.db, handlers, { pollMs: 20, workerId: `instance-${i}` }));
		while ((await jobs.getJob(database.db, jobId))!.status !== 'succeeded') await new Promise((r) => setTimeout(r, 50));
		await Promise.all(workers.map((w) => w.stop()));
		expect(await candidatesOf(personaId)).toHaveLength(24);
		expect(server.requests.length).toBe(24);
	});

	it('never has more requests in flight than the job’s concurrency', async () => {
		const latency = 80;
		server.setOptions({ latencyMs: latency });
		const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 12, baseUrl: server.baseUrl });
		const { jobId } = await sampling.createSamplingJob(database.db, personaId, spec({ concurrency: 3 }), admin);
		expect((await run(jobId)).status).toBe('succeeded');
		// every request takes at least `latency`, so those that arrived less than that before one are still open
		const arrivals = server.requests.map((r) => r.at).sort((a, b) => a - b);
		const inFlight = arrivals.map((at) => arrivals.filter((other) => other > at - latency && other <= at).length);
		expect(Math.max(...inFlight)).toBeLessThanOrEqual(3);
		expect(Math.max(...inFlight)).toBeGreaterThanOrEqual(2);
	});

	it('refuses to start without a model server as the current model, or with nothing to sample', async () => {
		const { personaId, modelId } = await createPersonaWithPrompts(database.db, { prompts: 1, baseUrl: server.baseUrl });
		await expect(sampling.createSamplingJob(database.db, personaId, spec({ selection: { limit: 5, withoutOpenPairs: false, domain: 'latin' } }), admin)).rejects.toThrow(/No prompts match/);
		await expect(sampling.createSamplingJob(database.db, personaId, spec({ strategy: { kind: 'versions', temperature: 0.7 } }), admin)).rejects.toThrow(/no previous model/);
		await database.db.execute(sql`update model_version set kind = 'demo_pool', base_url = null, model = null where id = ${modelId}`);
		await expect(sampling.createSamplingJob(database.db, personaId, spec(), admin)).rejects.toThrow(/demo pool/);
		const [count] = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from sampling_item si join prompt p on p.id = si.prompt_id where p.persona_id = ${personaId}`));
		expect(count!.n).toBe(0);
	});
});
