/**
 * Benchmark: the evaluation leaderboard (Bradley–Terry ratings of every
 * model with 1,000-replicate bootstrap intervals, and the win-rate matrix)
 * at BENCH_VOTES votes among BENCH_MODELS models, on PostgreSQL, beside the
 * bare SQL that counts the same votes and the tally query alone.
 *
 *   npx tsx scripts/bench/ratings.ts      # BENCH_VOTES=1000000 BENCH_MODELS=10 BENCH_OVERLAP=3
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * must be allowed to create databases; a scratch database is made and dropped.
 *
 * The fixture (SQL, generate_series): one round; votes / overlap pairs, each
 * on its own prompt between two models picked by the pair's number, with
 * `overlap` votes from different annotators: 10 % ties, otherwise the first
 * model's reply with Bradley–Terry's probability for log-strengths spread
 * evenly over −1 … 1. Each figure is the median of three runs.
 * BENCH_EXPLAIN=1 also prints PostgreSQL's plan of the tally query, with its timings.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/lib/server/db';
import { leaderboard } from '../../src/lib/server/evaluation/results';
import { tallyQuery, tallyVotes } from '../../src/lib/server/evaluation/results-sql';
import * as stats from '../../src/lib/server/evaluation/stats';
import { createUsers } from '../../tests/support/fixtures';
import { createModels, createRoundOf } from '../../tests/support/evaluation-votes';
import { medianOf, onScratchPostgres } from './scratch';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const votes = Number(process.env.BENCH_VOTES ?? 1_000_000);
const modelCount = Number(process.env.BENCH_MODELS ?? 10);
const overlap = Number(process.env.BENCH_OVERLAP ?? 3);
const PAIRS_PER_STATEMENT = 50_000;

/** Prompts, two replies each, a pair in the round and its votes, PAIRS_PER_STATEMENT pairs at a time. */
async function addRoundVotes(db: Db, personaId: string, roundId: string, modelIds: string[], annotatorIds: string[]): Promise<void> {
	const pairs = Math.round(votes / overlap);
	const models = JSON.stringify(modelIds);
	const strengths = JSON.stringify(modelIds.map((_, i) => (modelIds.length === 1 ? 0 : -1 + (2 * i) / (modelIds.length - 1))));
	for (let from = 1; from <= pairs; from += PAIRS_PER_STATEMENT) {
		const to = Math.min(pairs, from + PAIRS_PER_STATEMENT - 1);
		await db.execute(sql`
			with numbered as (
				select i, i % ${modelCount}::int as m1, (i % ${modelCount}::int + 1 + (i / ${modelCount}::int) % (${modelCount}::int - 1)) % ${modelCount}::int as m2
				from generate_series(${from}::int, ${to}::int) i
			), asked as (
				insert into prompt (persona_id, messages, domain, source, content_hash)
				select ${personaId}, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Question ' || i)),
					(array['chat', 'coding', 'maths'])[1 + i % 3], 'bench', md5('bench-ratings-' || i)
				from numbered returning id, content_hash
			), prompts as (
				select a.id, n.* from asked a join numbered n on a.content_hash = md5('bench-ratings-' || n.i)
			), replies as (
				insert into candidate (prompt_id, model_version_id, text, source)
				select p.id, (${models}::jsonb ->> m)::uuid, 'a reply', 'demo'
				from prompts p cross join lateral (values (p.m1), (p.m2)) s(m)
				returning id, prompt_id, model_version_id
			), pairs as (
				insert into pair (prompt_id, persona_id, candidate_a_id, candidate_b_id, overlap, evaluation_round_id, judgment_count)
				select p.id, ${personaId}, f.id, s.id, ${overlap}::int, ${roundId}::uuid, ${overlap}::int
				from prompts p
				join replies f on f.prompt_id = p.id and f.model_version_id = (${models}::jsonb ->> p.m1)::uuid
				join replies s on s.prompt_id = p.id and s.model_version_id = (${models}::jsonb ->> p.m2)::uuid
				returning id, candidate_a_id, candidate_b_id, prompt_id
			)
			insert into judgment (client_id, pair_id, annotator_id, choice, strength, left_candidate_id, duration_ms, created_at)
			select gen_random_uuid(), pa.id, (${JSON.stringify(annotatorIds)}::jsonb ->> k)::uuid, v.choice,
				case when v.choice = 'tie' then null else 2 end, pa.candidate_a_id, 4000, now() - interval '1 hour'
			from pairs pa join prompts p on p.id = pa.prompt_id
			cross join generate_series(0, ${overlap - 1}::int) k
			cross join lateral (select (abs(hashtext(pa.id::text || k)) % 10000) / 10000.0 as r,
				1 / (1 + exp((${strengths}::jsonb ->> p.m2)::float - (${strengths}::jsonb ->> p.m1)::float)) as first_wins) roll
			cross join lateral (select case when roll.r < 0.1 then 'tie' when (roll.r - 0.1) / 0.9 < roll.first_wins then 'a' else 'b' end as choice) v`);
	}
	await db.execute(sql`analyze`);
}

await onScratchPostgres(adminUrl, 'codelynn_bench_ratings', async (database) => {
	const db = database.db;
	const started = performance.now();
	const { personaId, models } = await createModels(db, Array.from({ length: modelCount }, (_, i) => `bench-v${i + 1}`));
	const modelIds = Object.values(models);
	const roundId = await createRoundOf(db, personaId, { candidateId: modelIds.at(-1)!, baselineId: modelIds[0]!, modelIds });
	const annotators = await createUsers(db, overlap, { prefix: 'bench-annotator' });
	await addRoundVotes(db, personaId, roundId, modelIds, annotators.map((a) => a.id));
	const counted = async () =>
		rowsOf<{ n: number }>(
			await db.execute(sql`select count(*)::int as n from judgment j join pair p on p.id = j.pair_id where p.persona_id = ${personaId} and p.evaluation_round_id is not null`)
		)[0]!.n;
	console.error(`${await counted()} votes among ${modelCount} models in ${((performance.now() - started) / 1000).toFixed(0)} s; measuring…`);
	const rows = await tallyVotes(db, { pairs: sql`p.persona_id = ${personaId}` });
	const index = new Map(modelIds.map((id, i) => [id, i]));
	const groups = rows.map((row) => ({ ...row, first: index.get(row.first)!, second: index.get(row.second)! }));
	const figures = {
		'bare SQL: count the votes': await medianOf(3, counted),
		'tally query (pairs grouped by models, domain and votes)': await medianOf(3, () => tallyVotes(db, { pairs: sql`p.persona_id = ${personaId}` })),
		'ratings with 1,000-replicate intervals, from the tally': await medianOf(3, async () => stats.rateModels(modelCount, groups)),
		'leaderboard (all of it)': await medianOf(3, () => leaderboard(db, personaId))
	};
	if (process.env.BENCH_EXPLAIN === '1') {
		const plan = rowsOf<Record<string, string>>(await db.execute(sql`explain (analyze, buffers) ${tallyQuery(sql`p.persona_id = ${personaId}`)}`));
		console.log(plan.map((row) => Object.values(row)[0]).join('\n'));
	}
	const board = await leaderboard(db, personaId);
	console.log(`| what (${board.votes.toLocaleString('en')} votes, ${modelCount} models, overlap ${overlap}, ${rows.length} tally rows) | time |\n| --- | --: |`);
	for (const [what, ms] of Object.entries(figures)) console.log(`| ${what} | ${ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`} |`);
	console.log(`\nratings: ${board.ratings.map((r) => `${r.name} ${r.rating.toFixed(0)} [${r.low.toFixed(0)}, ${r.high.toFixed(0)}]`).join(', ')}`);
});
