import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';
import type { QualityFigures } from './figures';

const int = (value: unknown): number => Number(value ?? 0);

/**
 * What a snapshot is computed from, in three numbers: a snapshot whose mark
 * equals the persona's current mark (and whose settings are the current
 * ones) is up to date, so the scheduler does no work.
 */
export type JudgmentMark = { judgments: number; lastJudgmentAt: Date | null; checkPairs: number };

export async function judgmentMark(db: DbOrTx, personaId: string): Promise<JudgmentMark> {
	const [row] = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select count(*) as judgments, max(j.created_at) as last_at,
				(select count(*) from pair where persona_id = ${personaId} and known_answer is not null) as check_pairs
			from judgment j join pair p on p.id = j.pair_id where p.persona_id = ${personaId}`)
	);
	return {
		judgments: int(row?.judgments),
		lastJudgmentAt: row?.last_at ? new Date(row.last_at as string) : null,
		checkPairs: int(row?.check_pairs)
	};
}

/**
 * Units (pairs without a known answer) grouped by domain, week and the
 * multiset of their values: at a million judgments a few thousand rows come
 * back instead of 350,000 arrays. `nominal` codes the four answers;
 * `ordinal` is the signed strength (a: +s, b: −s, tie: 0) with off-persona
 * left out as missing. A pair's week is the Monday (UTC) of its first vote.
 */
export type UnitGroup = { domain: string; week: string; nominal: number[]; ordinal: number[]; units: number; judgments: number };

/** The signed strengths an ordinal unit can hold, in the order the count columns come back. */
const SCALE = [-4, -3, -2, -1, 0, 1, 2, 3, 4] as const;

/**
 * Each pair's values as counts per answer and per signed strength (hash
 * aggregates, no sorting), then the pairs grouped by those counts.
 */
export async function unitGroups(db: DbOrTx, personaId: string): Promise<UnitGroup[]> {
	const signed = sql`case j.choice when 'a' then j.strength when 'b' then -j.strength when 'tie' then 0 end`;
	const perValue = SCALE.map((value) => sql`count(*) filter (where ${signed} = ${value}::int) as ${sql.raw(`s${value + 4}`)}`);
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			with units as (
				select pr.domain, min(j.created_at) as first_at, count(*) as n,
					count(*) filter (where j.choice = 'a') as na, count(*) filter (where j.choice = 'b') as nb,
					count(*) filter (where j.choice = 'tie') as nt, count(*) filter (where j.choice = 'both_off_persona') as no,
					${sql.join(perValue, sql`, `)}
				from judgment j join pair p on p.id = j.pair_id join prompt pr on pr.id = p.prompt_id
				where p.persona_id = ${personaId} and p.known_answer is null
				group by j.pair_id, pr.domain
			)
			select domain, to_char(date_trunc('week', first_at at time zone 'UTC'), 'YYYY-MM-DD') as week,
				na, nb, nt, no, ${sql.raw(SCALE.map((v) => `s${v + 4}`).join(', '))}, count(*) as units, sum(n) as judgments
			from units group by 1, 2, 3, 4, 5, 6, ${sql.raw(SCALE.map((v) => `s${v + 4}`).join(', '))}`)
	);
	const repeat = (value: number, times: unknown) => Array<number>(int(times)).fill(value);
	return rows.map((r) => ({
		domain: String(r.domain),
		week: String(r.week),
		nominal: [...repeat(0, r.na), ...repeat(1, r.nb), ...repeat(2, r.nt), ...repeat(3, r.no)],
		ordinal: SCALE.flatMap((value) => repeat(value, r[`s${value + 4}`])),
		units: int(r.units),
		judgments: int(r.judgments)
	}));
}

/** The queue (checks left out): done pairs, pairs someone holds a live lease on, and the rest. */
export async function queueFigures(db: DbOrTx, personaId: string): Promise<QualityFigures['queue']> {
	const [row] = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select count(*) as pairs,
				count(*) filter (where p.judgment_count >= p.overlap) as done,
				count(*) filter (where p.judgment_count < p.overlap and p.lease_count > 0
					and exists (select 1 from lease l where l.pair_id = p.id and l.expires_at > now())) as leased
			from pair p where p.persona_id = ${personaId} and p.known_answer is null`)
	);
	const pairs = int(row?.pairs);
	const done = int(row?.done);
	const leased = int(row?.leased);
	return { pairs, done, leased, open: pairs - done - leased };
}

/** Days of judgments a snapshot carries for the dashboard's chart. */
export const PER_DAY_DAYS = 365;

/** Judgments (checks included) per UTC day over the last PER_DAY_DAYS days, oldest first. */
export async function judgmentsPerDay(db: DbOrTx, personaId: string): Promise<QualityFigures['perDay']> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select to_char(date_trunc('day', j.created_at at time zone 'UTC'), 'YYYY-MM-DD') as day, count(*) as n
			from judgment j join pair p on p.id = j.pair_id
			where p.persona_id = ${personaId} and j.created_at >= now() - make_interval(days => ${PER_DAY_DAYS})
			group by 1 order by 1`)
	);
	return rows.map((r) => ({ day: String(r.day), judgments: int(r.n) }));
}

/** The median time of every vote (checks included), as PostgreSQL interpolates it. */
export async function crowdMedianMs(db: DbOrTx, personaId: string): Promise<number | null> {
	const [row] = rowsOf<{ ms: unknown }>(
		await db.execute(sql`
			select percentile_cont(0.5) within group (order by j.duration_ms) as ms
			from judgment j join pair p on p.id = j.pair_id where p.persona_id = ${personaId}`)
	);
	return row?.ms === null || row?.ms === undefined ? null : Math.round(Number(row.ms));
}
