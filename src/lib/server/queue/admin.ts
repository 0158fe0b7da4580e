import { sql } from 'drizzle-orm';
import * as audit from '../audit';
import { rowsOf, type Db } from '../db';
import { reclaimExpired } from './lease';

/** Regular pairs only; checks are counted apart (they have no overlap to fill). */
export type QueueStats = {
	pairs: number;
	/** gold checks: handed to every annotator once, outside the counts above */
	checks: number;
	/** still need someone: judgments + leases below overlap */
	open: number;
	/** someone holds a lease on it right now */
	leased: number;
	/** judged by as many annotators as its overlap */
	done: number;
	judgments: number;
	liveLeases: number;
	expiredLeases: number;
};

export async function queueStats(db: Db, personaId: string): Promise<QueueStats> {
	const [pairs] = rowsOf<Record<string, number>>(
		await db.execute(sql`
			select count(*) filter (where known_answer is null)::int as pairs,
				count(*) filter (where known_answer is not null)::int as checks,
				count(*) filter (where known_answer is null and judgment_count + lease_count < overlap)::int as open,
				count(*) filter (where lease_count > 0)::int as leased,
				count(*) filter (where known_answer is null and judgment_count >= overlap)::int as done,
				coalesce(sum(judgment_count), 0)::int as judgments
			from pair where persona_id = ${personaId}`)
	);
	const [leases] = rowsOf<Record<string, number>>(
		await db.execute(sql`
			select count(*) filter (where l.expires_at > now())::int as live,
				count(*) filter (where l.expires_at <= now())::int as expired
			from lease l join pair p on p.id = l.pair_id where p.persona_id = ${personaId}`)
	);
	return {
		pairs: Number(pairs?.pairs ?? 0),
		checks: Number(pairs?.checks ?? 0),
		open: Number(pairs?.open ?? 0),
		leased: Number(pairs?.leased ?? 0),
		done: Number(pairs?.done ?? 0),
		judgments: Number(pairs?.judgments ?? 0),
		liveLeases: Number(leases?.live ?? 0),
		expiredLeases: Number(leases?.expired ?? 0)
	};
}

export type AnnotatorProgress = {
	userId: string;
	displayName: string;
	email: string;
	today: number;
	total: number;
	/** median seconds from seeing a pair to submitting it */
	medianSeconds: number | null;
	/** judgments in the last hour */
	lastHour: number;
	leases: number;
	oldestLeaseMinutes: number | null;
	lastJudgmentAt: Date | null;
};

/** Everyone who judged or holds work for this persona, busiest first. */
export async function annotatorProgress(db: Db, personaId: string): Promise<AnnotatorProgress[]> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			with votes as (
				select j.annotator_id,
					count(*)::int as total,
					count(*) filter (where j.created_at >= date_trunc('day', now()))::int as today,
					count(*) filter (where j.created_at >= now() - interval '1 hour')::int as last_hour,
					percentile_cont(0.5) within group (order by j.duration_ms) as median_ms,
					max(j.created_at) as last_at
				from judgment j join pair p on p.id = j.pair_id
				where p.persona_id = ${personaId}
				group by j.annotator_id
			), held as (
				select l.annotator_id, count(*)::int as leases, min(l.created_at) as oldest
				from lease l join pair p on p.id = l.pair_id
				where p.persona_id = ${personaId}
				group by l.annotator_id
			)
			select u.id, u.display_name, u.email,
				coalesce(v.total, 0) as total, coalesce(v.today, 0) as today, coalesce(v.last_hour, 0) as last_hour,
				v.median_ms, v.last_at, coalesce(h.leases, 0) as leases,
				extract(epoch from now() - h.oldest) / 60 as oldest_minutes
			from "user" u
			left join votes v on v.annotator_id = u.id
			left join held h on h.annotator_id = u.id
			where v.annotator_id is not null or h.annotator_id is not null
			order by coalesce(v.total, 0) desc, u.display_name`)
	);
	return rows.map((r) => ({
		userId: String(r.id),
		displayName: String(r.display_name),
		email: String(r.email),
		today: Number(r.today),
		total: Number(r.total),
		lastHour: Number(r.last_hour),
		medianSeconds: r.median_ms == null ? null : Math.round(Number(r.median_ms) / 100) / 10,
		leases: Number(r.leases),
		oldestLeaseMinutes: r.oldest_minutes == null ? null : Math.round(Number(r.oldest_minutes)),
		lastJudgmentAt: r.last_at ? new Date(r.last_at as string) : null
	}));
}

/** Frees every pair an annotator holds (they left, or their browser is stuck); audited. */
export async function releaseAnnotatorLeases(db: Db, annotatorId: string, personaId: string, actor: { id: string; ip?: string | null }): Promise<number> {
	return db.transaction(async (tx) => {
		const result = await tx.execute(sql`
			with gone as (
				delete from lease using pair
				where pair.id = lease.pair_id and pair.persona_id = ${personaId} and lease.annotator_id = ${annotatorId}
				returning lease.pair_id
			), freed as (
				update pair set lease_count = pair.lease_count - g.n
				from (select pair_id, count(*)::int as n from gone group by pair_id) g
				where pair.id = g.pair_id and pair.known_answer is null
			)
			select count(*)::int as released from gone`);
		const released = Number(rowsOf<{ released: number }>(result)[0]?.released ?? 0);
		await audit.record(tx, {
			actorId: actor.id,
			action: 'queue.release',
			targetType: 'user',
			targetId: annotatorId,
			details: { personaId, released },
			ip: actor.ip
		});
		return released;
	});
}

/** Reclaims every expired lease now instead of at the next hand-out; audited. */
export async function reclaimAllExpired(db: Db, actor: { id: string; ip?: string | null }): Promise<number> {
	return db.transaction(async (tx) => {
		let total = 0;
		for (let freed = await reclaimExpired(tx); freed > 0; freed = await reclaimExpired(tx)) total += freed;
		await audit.record(tx, { actorId: actor.id, action: 'queue.reclaim', details: { reclaimed: total }, ip: actor.ip });
		return total;
	});
}

export type RecentJudgment = {
	id: string;
	pairId: string;
	leftCandidateId: string;
	/** the candidate judged better; null for a tie or both off-persona */
	chosenCandidateId: string | null;
	createdAt: Date;
	annotator: string;
	prompt: string;
	choice: string;
	strength: number | null;
	/** 'a' or 'b': which of the pair's candidates this annotator saw on the left */
	leftShown: 'a' | 'b';
	durationMs: number | null;
	rationale: string | null;
};

/** The latest votes, newest first, for spot checks of quality. */
export async function recentJudgments(db: Db, personaId: string, limit = 25): Promise<RecentJudgment[]> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select j.id, j.pair_id, j.left_candidate_id, j.created_at, u.display_name, j.choice, j.strength, j.duration_ms, j.rationale,
				case j.choice when 'a' then p.candidate_a_id when 'b' then p.candidate_b_id end as chosen_candidate_id,
				case when j.left_candidate_id = p.candidate_a_id then 'a' else 'b' end as left_shown,
				left(pr.messages -> -1 ->> 'content', 120) as prompt
			from judgment j
			join pair p on p.id = j.pair_id
			join prompt pr on pr.id = p.prompt_id
			join "user" u on u.id = j.annotator_id
			where p.persona_id = ${personaId}
			order by j.created_at desc, j.id
			limit ${limit}`)
	);
	return rows.map((r) => ({
		id: String(r.id),
		pairId: String(r.pair_id),
		leftCandidateId: String(r.left_candidate_id),
		chosenCandidateId: r.chosen_candidate_id == null ? null : String(r.chosen_candidate_id),
		createdAt: new Date(r.created_at as string),
		annotator: String(r.display_name),
		prompt: String(r.prompt ?? ''),
		choice: String(r.choice),
		strength: r.strength == null ? null : Number(r.strength),
		leftShown: r.left_shown === 'a' ? 'a' : 'b',
		durationMs: r.duration_ms == null ? null : Number(r.duration_ms),
		rationale: (r.rationale as string | null) ?? null
	}));
}
