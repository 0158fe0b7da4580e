/**
 * Benchmark: quality snapshots at a million judgments, on PostgreSQL and on
 * PGlite, beside a bare `select count(*) from judgment` over the same rows
 * measured in the same run.
 *
 *   npx tsx scripts/bench/quality.ts
 *   BENCH_JUDGMENTS=1000000 BENCH_TARGETS=postgres,pglite BENCH_ANNOTATORS=100 npx tsx scripts/bench/quality.ts
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * must be allowed to create databases; a scratch database is made and
 * dropped. PGlite runs in a scratch folder (on disk, as the app runs it).
 *
 * The fixture (SQL, generate_series): N/3 pairs at overlap 3 over five
 * domains, replies of 10–210 words, BENCH_ANNOTATORS annotators of whom one
 * in twenty always picks the left reply and one in twenty answers at random
 * (the rest give a hidden truth 85 % of the time), votes spread over twelve
 * weeks, and one pair in 667 a check. Figures: `computeSnapshot` (the
 * refresh job's work), the scheduler's look at one persona (`judgmentMark`),
 * and what /admin/quality reads (`latestSnapshot`, one sorted page of 50
 * annotators, 90 days of history), each the median of five runs but the
 * snapshot (one run). Then, as a user waits for them: GET /admin/quality and
 * GET /admin (the dashboard) from the production build (`npm run build`
 * first) on the same database, signed in as the demo admin, with the job
 * worker off so no refresh runs meanwhile; the median of five after one warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, eq, sql } from 'drizzle-orm';
import { migrateDatabase, openDatabase, rowsOf, type Database, type DatabaseTarget, type Db } from '../../src/lib/server/db';
import { qualityAnnotator, user } from '../../src/lib/server/db/schema';
import { computeSnapshot } from '../../src/lib/server/quality/compute';
import { judgmentMark } from '../../src/lib/server/quality/crowd-sql';
import { latestSnapshot, snapshotHistory } from '../../src/lib/server/quality/snapshots';
import { createPersonaWithPairs, createUsers } from '../../tests/support/fixtures';
import { signIn, startBuild } from './production-server';
import { medianOf, onScratchPostgres, timed } from './scratch';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const judgments = Number(process.env.BENCH_JUDGMENTS ?? 1_000_000);
const targets = (process.env.BENCH_TARGETS ?? 'postgres,pglite').split(',') as Array<DatabaseTarget['kind']>;
const annotatorCount = Number(process.env.BENCH_ANNOTATORS ?? 100);
const PAIRS_PER_STATEMENT = 50_000;

/** Three votes per pair from three different annotators, behaviour by annotator, truth by pair. */
async function addVotes(db: Db, personaId: string, annotatorIds: string[], pairs: number): Promise<void> {
	const annotators = JSON.stringify(annotatorIds);
	for (let from = 1; from <= pairs; from += PAIRS_PER_STATEMENT) {
		const to = Math.min(pairs, from + PAIRS_PER_STATEMENT - 1);
		await db.execute(sql`
			with slots as (
				select p.id as pair_id, p.candidate_a_id as a, p.candidate_b_id as b, i, k,
					(i * 7 + k * 31) % ${annotatorIds.length}::int as n,
					abs(hashtext(p.id::text || k)) as r,
					case when abs(hashtext(p.id::text)) % 10 < 4 then 0 when abs(hashtext(p.id::text)) % 10 < 8 then 1
						when abs(hashtext(p.id::text)) % 10 = 8 then 2 else 3 end as truth
				from pair p
				cross join lateral (select extract(epoch from p.created_at - timestamptz '2026-01-01')::int as i) s
				cross join generate_series(0, 2) k
				where p.persona_id = ${personaId} and s.i between ${from}::int and ${to}::int
			), voted as (
				select *, (array['a', 'b', 'tie', 'both_off_persona'])[1 + case
					when n % 20 = 0 then (r % 2)
					when n % 20 = 1 then r % 4
					when r % 100 < 85 then truth
					else (truth + 1 + r % 3) % 4 end] as choice
				from slots
			)
			insert into judgment (client_id, pair_id, annotator_id, choice, strength, left_candidate_id, duration_ms, created_at)
			select gen_random_uuid(), pair_id, (${annotators}::jsonb ->> n)::uuid, choice,
				case when choice in ('a', 'b') then 1 + r % 4 end,
				case when r % 2 = 0 then a else b end,
				3000 + r % 60000,
				now() - make_interval(secs => (i * 3 + k * 600) % (84 * 86400))
			from voted`);
	}
	await db.execute(sql`
		update pair set known_answer = case when (abs(hashtext(id::text)) % 2) = 0 then 'a' else 'b' end
		where persona_id = ${personaId} and extract(epoch from created_at - timestamptz '2026-01-01')::int % 667 = 0`);
	await db.execute(sql`update pair set judgment_count = case when known_answer is null then 3 else 0 end where persona_id = ${personaId}`);
	await db.execute(sql`analyze`);
}

/** What /admin/quality reads: the newest snapshot, one page of the annotator table sorted by agreement, the history. */
async function readQualityPage(db: Db, personaId: string): Promise<number> {
	const snapshot = await latestSnapshot(db, personaId);
	const page = await db
		.select({ annotator: user.displayName, agreement: qualityAnnotator.agreement, flags: qualityAnnotator.flags })
		.from(qualityAnnotator)
		.innerJoin(user, eq(user.id, qualityAnnotator.annotatorId))
		.where(eq(qualityAnnotator.snapshotId, snapshot!.id))
		.orderBy(sql`${qualityAnnotator.agreement} asc nulls last`, asc(qualityAnnotator.annotatorId))
		.limit(50);
	const history = await snapshotHistory(db, personaId, 90);
	return page.length + history.length;
}

type Figures = { target: string; judgments: number; fixtureS: number; countMs: number; computeMs: number; markMs: number; pageMs: number };
type HttpFigures = { qualityMs: number; dashboardMs: number };

/** What an admin waits for: the two pages over HTTP from `node build` on the bench's database. */
async function measureHttp(databaseEnv: Record<string, string>): Promise<HttpFigures> {
	const server = await startBuild({ ...databaseEnv, JOBS_WORKER: 'off', BODY_SIZE_LIMIT: 'Infinity' });
	try {
		const cookie = await signIn(server.origin);
		const page = (path: string, mustShow: string) => async () => {
			const response = await fetch(`${server.origin}${path}`, { headers: { cookie } });
			const html = await response.text();
			if (response.status !== 200 || !html.includes(mustShow)) throw new Error(`${path} answered ${response.status} without "${mustShow}"`);
		};
		const quality = page('/admin/quality?persona=bench-quality', 'bench-annotator');
		const dashboard = page('/admin?persona=bench-quality', '<svg');
		await quality();
		await dashboard();
		return { qualityMs: await medianOf(5, quality), dashboardMs: await medianOf(5, dashboard) };
	} finally {
		await server.stop();
	}
}

async function measure(database: Database, target: string): Promise<Figures> {
	const fixture = await timed(async () => {
		const { personaId } = await createPersonaWithPairs(database.db, {
			pairs: Math.round(judgments / 3),
			overlap: 3,
			slug: 'bench-quality',
			domains: ['chat', 'coding', 'maths', 'german', 'latin'],
			replyWords: { min: 5, spread: 200 }
		});
		const annotators = await createUsers(database.db, annotatorCount, { prefix: 'bench-annotator' });
		await addVotes(database.db, personaId, annotators.map((a) => a.id), Math.round(judgments / 3));
		return personaId;
	});
	const personaId = fixture.result;
	const count = async () => rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from judgment`))[0]!.n;
	const made = await count();
	console.error(`${target}: ${made} judgments in ${(fixture.ms / 1000).toFixed(0)} s; computing the snapshot…`);
	const compute = await timed(() => computeSnapshot(database.db, personaId));
	return {
		target,
		judgments: made,
		fixtureS: fixture.ms / 1000,
		countMs: await medianOf(5, count),
		computeMs: compute.ms,
		markMs: await medianOf(5, () => judgmentMark(database.db, personaId)),
		pageMs: await medianOf(5, () => readQualityPage(database.db, personaId))
	};
}

async function onPostgres(): Promise<Figures & HttpFigures> {
	return onScratchPostgres(adminUrl, 'codelynn_bench_quality', async (database, url) => {
		const figures = await measure(database, 'PostgreSQL 15');
		return { ...figures, ...(await measureHttp({ DATABASE_URL: url })) };
	});
}

async function onPglite(): Promise<Figures & HttpFigures> {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'codelynn-bench-quality-'));
	try {
		const database = await openDatabase({ kind: 'pglite', dir });
		let figures: Figures;
		try {
			await migrateDatabase(database, { kind: 'pglite', dir }, path.resolve('drizzle'));
			figures = await measure(database, 'PGlite (PostgreSQL 18)');
		} finally {
			// one process at a time opens a PGlite folder: the server gets it next
			await database.close();
		}
		return { ...figures, ...(await measureHttp({ PGLITE_DIR: dir })) };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

const results: Array<Figures & HttpFigures> = [];
for (const target of targets) results.push(target === 'pglite' ? await onPglite() : await onPostgres());
const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(1)} ms`);
console.log('| database | judgments | `count(*)` (baseline) | /admin/quality reads | reads ÷ count | GET /admin/quality | GET /admin | scheduler look | `computeSnapshot` |');
console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: |');
for (const r of results)
	console.log(
		`| ${r.target} | ${r.judgments.toLocaleString('en')} | ${ms(r.countMs)} | ${ms(r.pageMs)} | ${(r.pageMs / r.countMs).toFixed(3)}× | ${ms(r.qualityMs)} | ${ms(r.dashboardMs)} | ${ms(r.markMs)} | ${ms(r.computeMs)} |`
	);
