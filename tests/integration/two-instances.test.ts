import { readdirSync } from 'node:fs';
import path from 'node:path';
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchFolder, createScratchPostgres, testDatabaseKind } from '../support/database';
import { createPersonaWithPairs, createPersonaWithPrompts, createUsers } from '../support/fixtures';
import { startModelServer, type ModelServer } from '../support/openai-server';
import { signIn, startServer, type RunningServer } from '../support/server';
import { openDatabase, rowsOf, type Database } from '../../src/lib/server/db';
import { job } from '../../src/lib/server/db/schema';
import * as definitions from '../../src/lib/server/datasets/definitions';
import * as versions from '../../src/lib/server/datasets/versions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import * as sampling from '../../src/lib/server/sampling/jobs';

// The README's promise for PostgreSQL: several instances on one database share the work. Two
// production servers (`npm run build` first; npm test does that), both running background jobs,
// take annotators, sampling and publishing on the same fresh database.

const OVERLAP = 3;
const PAIRS = 24;
const ANNOTATORS = 6;
const DATASETS = ['one', 'two', 'three'];

type PairInHand = { pairId: string; leftCandidateId: string };

let scratch: { url: string; drop(): Promise<void> };
let objects: { dir: string; remove(): void };
let database: Database;
let model: ModelServer;
let instances: RunningServer[] = [];

/** Every `job started` line the instances logged, as [jobId, workerId]. */
/** Every job an instance started: its id, which instance (0 or 1) started it, and its kind. */
function jobStarts(): Array<[string, number, string]> {
	return instances.flatMap((instance, index) =>
		instance.lines.flatMap((line): Array<[string, number, string]> => {
			if (!line.includes('"job started"')) return [];
			const entry = JSON.parse(line) as { jobId: string; kind: string };
			return [[entry.jobId, index, entry.kind]];
		})
	);
}

/** One annotator on one instance: judges whatever is in hand until the queue has nothing left for them. */
async function annotate(origin: string, cookie: string, persona: string): Promise<number[]> {
	const statuses: number[] = [];
	const call = async (method: string, route: string, body?: unknown): Promise<{ pairs: PairInHand[] }> => {
		const response = await fetch(`${origin}${route}`, {
			method,
			headers: { cookie, origin, 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body)
		});
		statuses.push(response.status);
		return response.ok ? ((await response.json()) as { pairs: PairInHand[] }) : { pairs: [] };
	};
	let { pairs } = await call('GET', `/api/v1/rank/pairs?persona=${persona}`);
	while (pairs.length > 0) {
		const [current] = pairs;
		const judgment = { clientId: crypto.randomUUID(), pairId: current!.pairId, leftCandidateId: current!.leftCandidateId, preferred: 'left', strength: 2 };
		({ pairs } = await call('POST', '/api/v1/rank/judgments', { persona, judgment }));
	}
	return statuses;
}

async function until(done: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!(await done())) {
		if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

async function jobsOf(ids: string[]): Promise<Array<{ status: string; attempts: number }>> {
	return database.db.select({ status: job.status, attempts: job.attempts }).from(job).where(inArray(job.id, ids));
}

describe.skipIf(testDatabaseKind() === 'pglite')('two instances on one PostgreSQL database (skipped on PGlite: an embedded database has one owner)', () => {
	beforeAll(async () => {
		scratch = await createScratchPostgres();
		objects = createScratchFolder();
		// Slow enough replies that a sampling job outlasts the other instance's poll interval.
		model = await startModelServer({ mode: 'vllm', latencyMs: 100 });
		const env = { DATABASE_URL: scratch.url, OBJECTS_DIR: objects.dir, JOBS_WORKER: 'on', DEMO_WORKSPACE: 'off', UNDO_SECONDS: '0' };
		// Both start at once on the empty database: the migrations' advisory lock lets one migrate.
		instances = await Promise.all([startServer(env), startServer(env)]);
		database = await openDatabase({ kind: 'postgres', url: scratch.url });
	}, 120_000);

	afterAll(async () => {
		await Promise.all(instances.map((instance) => instance.stop()));
		await database?.close();
		await model?.close();
		await scratch?.drop();
		objects?.remove();
	});

	it('drains a queue exactly with annotators split across both, no answer a 5xx', async () => {
		const persona = `two-${crypto.randomUUID().slice(0, 6)}`;
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: PAIRS, overlap: OVERLAP, slug: persona });
		const annotators = await createUsers(database.db, ANNOTATORS);
		const sessions = await Promise.all(annotators.map(async (a, i) => {
			const origin = instances[i % 2]!.origin;
			return { origin, cookie: await signIn(origin, a.email, 'fixture-password') };
		}));

		const statuses = (await Promise.all(sessions.map((s) => annotate(s.origin, s.cookie, persona)))).flat();

		expect(statuses.filter((status) => status >= 500)).toEqual([]);
		const counts = rowsOf<{ judgments: number; annotators: number; recorded: number }>(
			await database.db.execute(sql`
				select count(j.id)::int as judgments, count(distinct j.annotator_id)::int as annotators, p.judgment_count as recorded
				from pair p left join judgment j on j.pair_id = p.id
				where p.persona_id = ${personaId} group by p.id`)
		);
		expect(counts).toHaveLength(PAIRS);
		expect(counts.filter((c) => c.judgments !== OVERLAP || c.annotators !== OVERLAP || c.recorded !== OVERLAP)).toEqual([]);
	}, 120_000);

	it('runs each sampling job once and asks the model for each item once', async () => {
		const [admin] = await createUsers(database.db, 1, { role: 'admin' });
		const spec = sampling.samplingSpecSchema.parse({
			selection: { limit: 100 },
			strategy: { kind: 'temperatures', temperatures: [0.7, 1.1] },
			concurrency: 2,
			timeoutSeconds: 10,
			maxRetries: 2
		});
		const created = await Promise.all(
			[1, 2, 3, 4].map(async () => {
				const { personaId } = await createPersonaWithPrompts(database.db, { prompts: 6, baseUrl: model.baseUrl });
				return sampling.createSamplingJob(database.db, personaId, spec, admin!);
			})
		);
		const ids = created.map((c) => c.jobId);
		await until(async () => (await jobsOf(ids)).every((j) => j.status === 'succeeded'), 'the sampling jobs');

		expect((await jobsOf(ids)).map((j) => j.attempts)).toEqual(ids.map(() => 1));
		expect(jobStarts().filter(([jobId]) => ids.includes(jobId))).toHaveLength(ids.length);
		const items = created.reduce((sum, c) => sum + c.items, 0);
		const completions = model.requests.filter((r) => r.path.endsWith('/chat/completions'));
		expect(completions).toHaveLength(items);
		const asked = completions.map((r) => JSON.stringify([r.body.messages, r.body.temperature, r.body.seed ?? null]));
		expect(new Set(asked).size).toBe(items);
	}, 120_000);

	it('publishes each dataset version once: one job run, one manifest', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 4, overlap: 1, slug: `pub-${crypto.randomUUID().slice(0, 6)}` });
		const [annotator] = await createUsers(database.db, 1);
		const origin = instances[0]!.origin;
		const cookie = await signIn(origin, annotator!.email, 'fixture-password');
		const persona = rowsOf<{ slug: string }>(await database.db.execute(sql`select slug from persona where id = ${personaId}`))[0]!.slug;
		expect((await annotate(origin, cookie, persona)).filter((status) => status >= 500)).toEqual([]);
		const created = await Promise.all(
			DATASETS.map(async (name) => {
				const { id } = await definitions.createDataset(database.db, personaId, { name, slug: name, description: '', spec: defaultSpec() }, { id: null });
				return versions.createVersion(database.db, id, { id: null }, { undoSeconds: 0 });
			})
		);
		const ids = created.map((c) => c.jobId);
		await until(async () => (await jobsOf(ids)).every((j) => j.status === 'succeeded'), 'the publish jobs');

		expect((await jobsOf(ids)).map((j) => j.attempts)).toEqual(ids.map(() => 1));
		expect(jobStarts().filter(([jobId]) => ids.includes(jobId))).toHaveLength(ids.length);
		for (const { id } of created) expect((await versions.getVersion(database.db, id)).status).toBe('published');
		const manifests = readdirSync(objects.dir, { recursive: true, encoding: 'utf8' }).filter((file) => path.basename(file) === 'manifest.json');
		expect(manifests).toHaveLength(DATASETS.length);
		for (const name of DATASETS) expect(manifests.filter((file) => file.includes(`${path.sep}${name}${path.sep}v1${path.sep}`))).toHaveLength(1);
		// Both instances took part in the jobs of this file: the work was shared, not merely not doubled.
		// (Sampling and publishing only: each instance also runs a worker of its own for quality refreshes.)
		const shared = jobStarts().filter(([, , kind]) => !kind.startsWith('quality.'));
		expect(new Set(shared.map(([, instance]) => instance)).size).toBe(2);
	}, 120_000);
});
