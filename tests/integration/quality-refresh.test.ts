import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes } from '../support/judgments';
import { job, pair, qualitySnapshot } from '../../src/lib/server/db/schema';
import { runNext } from '../../src/lib/server/jobs/runner';
import { ensureScheduler, qualityJobHandlers, SCHEDULE_JOB_KIND } from '../../src/lib/server/quality/jobs';
import { REFRESH_JOB_KIND, requestRefresh } from '../../src/lib/server/quality/refresh-request';
import { requestDueRefreshes, tickMs } from '../../src/lib/server/quality/schedule';
import { latestSnapshot } from '../../src/lib/server/quality/snapshots';
import { computeSnapshot } from '../../src/lib/server/quality/compute';

let database: TestDatabase;
const REFRESH_MS = 300_000;
const handlers = qualityJobHandlers(() => ({ refreshSeconds: REFRESH_MS / 1000 }));

beforeAll(async () => {
	database = await createTestDatabase();
});
afterAll(async () => {
	await database.close();
});

/** A persona with two pairs and `votes` judgments on the first (one annotator each). */
async function personaWithVotes(votes: number) {
	const { personaId } = await createPersonaWithPairs(database.db, { pairs: 2, overlap: 3 });
	const annotators = await createUsers(database.db, 3);
	const [first] = await database.db.select({ id: pair.id }).from(pair).where(eq(pair.personaId, personaId));
	await addVotes(database.db, annotators.slice(0, votes).map((a) => ({ pairId: first!.id, annotatorId: a.id, choice: 'a' as const })));
	return { personaId, annotators, pairId: first!.id };
}

/** Runs every job that is due now (refreshes and the scheduler), as a worker would. */
async function runDueJobs(): Promise<number> {
	let ran = 0;
	while (await runNext(database.db, 'test-worker', handlers)) ran++;
	return ran;
}

async function ageSnapshot(personaId: string, seconds: number) {
	await database.db
		.update(qualitySnapshot)
		.set({ computedAt: sql`computed_at - make_interval(secs => ${seconds})` })
		.where(eq(qualitySnapshot.personaId, personaId));
}

const queuedRefreshes = (personaId: string) =>
	database.db.$count(job, and(eq(job.kind, REFRESH_JOB_KIND), eq(job.personaId, personaId), eq(job.status, 'queued')));

describe('keeping quality snapshots fresh', () => {
	it('computes a persona’s first snapshot on the scheduler’s first look, without a page asking', async () => {
		const { personaId } = await personaWithVotes(2);
		await ensureScheduler(database.db);
		await runDueJobs();
		expect(await latestSnapshot(database.db, personaId)).toMatchObject({ judgments: 2 });
	});

	it('does no work for a persona whose judgments have not changed, however old its snapshot', async () => {
		const { personaId } = await personaWithVotes(2);
		await computeSnapshot(database.db, personaId);
		await ageSnapshot(personaId, 86_400);
		expect(await requestDueRefreshes(database.db, REFRESH_MS)).not.toContain(personaId);
		expect(await queuedRefreshes(personaId)).toBe(0);
	});

	it('refreshes a changed persona before its snapshot would outgrow QUALITY_REFRESH_SECONDS, and not long before', async () => {
		const { personaId, annotators, pairId } = await personaWithVotes(1);
		await computeSnapshot(database.db, personaId);
		await addVotes(database.db, [{ pairId, annotatorId: annotators[1]!.id, choice: 'b', at: new Date() }]);
		await ageSnapshot(personaId, 60);
		expect(await requestDueRefreshes(database.db, REFRESH_MS)).not.toContain(personaId);
		// by the next look (one tick later) it would be older than the limit: now is the time
		await ageSnapshot(personaId, (REFRESH_MS - tickMs(REFRESH_MS)) / 1000 - 60);
		expect(await requestDueRefreshes(database.db, REFRESH_MS)).toContain(personaId);
		await runDueJobs();
		expect(await latestSnapshot(database.db, personaId)).toMatchObject({ judgments: 2 });
	});

	it('refreshes when the persona’s quality settings changed, with the same judgments', async () => {
		const { personaId } = await personaWithVotes(2);
		await computeSnapshot(database.db, personaId);
		await ageSnapshot(personaId, REFRESH_MS / 1000);
		await database.db.execute(sql`update persona set quality_settings = '{"minVotes": 5}'::jsonb where id = ${personaId}`);
		expect(await requestDueRefreshes(database.db, REFRESH_MS)).toContain(personaId);
		await runDueJobs();
		expect((await latestSnapshot(database.db, personaId))!.settings.minVotes).toBe(5);
	});

	it('runs a requested refresh at once, even when nothing changed, and joins requests that wait', async () => {
		const { personaId } = await personaWithVotes(2);
		const first = await computeSnapshot(database.db, personaId);
		const asked = await requestRefresh(database.db, personaId);
		expect(await requestRefresh(database.db, personaId)).toBe(asked);
		expect(await runNext(database.db, 'test-worker', handlers, undefined, asked)).toBe(true);
		const latest = await latestSnapshot(database.db, personaId);
		expect(latest!.id).not.toBe(first);
		const [done] = await database.db.select().from(job).where(eq(job.id, asked));
		expect(done).toMatchObject({ status: 'succeeded', progress: { snapshotId: latest!.id } });
	});

	it('keeps one scheduler, back in the queue after each look and revived at start if it ended', async () => {
		await ensureScheduler(database.db);
		await ensureScheduler(database.db);
		const schedulers = () => database.db.select().from(job).where(eq(job.kind, SCHEDULE_JOB_KIND));
		await database.db.update(job).set({ runAfter: new Date() }).where(eq(job.kind, SCHEDULE_JOB_KIND));
		await runDueJobs();
		const [waiting] = await schedulers();
		expect(await schedulers()).toHaveLength(1);
		expect(waiting!.status).toBe('queued');
		expect(waiting!.runAfter.getTime()).toBeGreaterThan(Date.now() + tickMs(REFRESH_MS) - 10_000);
		await database.db.update(job).set({ status: 'failed' }).where(eq(job.kind, SCHEDULE_JOB_KIND));
		await ensureScheduler(database.db);
		expect((await schedulers())[0]).toMatchObject({ status: 'queued' });
	});

	it('prunes to the newest snapshot of each UTC day within the kept days, keeping the last hour’s', async () => {
		const { personaId } = await personaWithVotes(2);
		const stored = async (hoursAgo: number) => {
			const [row] = await database.db
				.insert(qualitySnapshot)
				.values({ personaId, computedAt: sql`(date_trunc('day', now() at time zone 'UTC') at time zone 'UTC') - make_interval(hours => ${hoursAgo})`, judgments: 0, settings: {}, figures: {}, durationMs: 1 })
				.returning({ id: qualitySnapshot.id });
			return row!.id;
		};
		await stored(22); // yesterday, 02:00 UTC
		const yesterday = await stored(20); // yesterday's newest, 04:00 UTC
		await stored(24 * 500); // beyond the kept days
		const recent = await database.db
			.insert(qualitySnapshot)
			.values({ personaId, computedAt: sql`now() - interval '1 minute'`, judgments: 0, settings: {}, figures: {}, durationMs: 1 })
			.returning({ id: qualitySnapshot.id });
		const newest = await computeSnapshot(database.db, personaId);
		const left = await database.db.select({ id: qualitySnapshot.id }).from(qualitySnapshot).where(eq(qualitySnapshot.personaId, personaId));
		expect(left.map((s) => s.id).sort()).toEqual([yesterday, recent[0]!.id, newest].sort());
	});
});
