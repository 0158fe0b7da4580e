import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import * as audit from '../audit';
import { rowsOf, type DbOrTx, type Tx } from '../db';
import { candidate, evaluationRound, job, lease, pair, pairHandout, persona, prompt, type ChatMessage } from '../db/schema';
import { contentHash } from '../prompts/hash';
import type { LiveReply } from './arena-models';
import { insertRound } from './round-rows';
import { WATCH_JOB, watchDedupeKey } from './watch-key';

/*
 * What a battle writes, in the caller's transaction: the prompt (tagged as
 * written in the arena), the two replies, the round it counts in, and the pair
 * handed to the one person who asked, exactly as the ranking hand-out hands a
 * pair (a lease and a pair_handout with a random left side: drizzle/0010).
 */

export const ARENA_TAG = 'arena';
export const ARENA_SOURCE = 'arena';

export type BattleRows = {
	battleId: string;
	userId: string;
	personaId: string;
	messages: ChatMessage[];
	domain: string;
	replies: [LiveReply, LiveReply];
	/** The persona's current model, if it is one of the two: the round then measures the other against it. */
	currentId: string | null;
	priority: number;
	leaseMinutes: number;
};

/** The same text twice is the same prompt (prompt_content_unique); one first seen elsewhere gains the arena tag. */
async function keepPrompt(tx: Tx, rows: BattleRows): Promise<string> {
	const [kept] = await tx
		.insert(prompt)
		.values({ personaId: rows.personaId, messages: rows.messages, domain: rows.domain, source: ARENA_SOURCE, contentHash: contentHash(rows.messages), tags: [ARENA_TAG] })
		.onConflictDoUpdate({
			target: [prompt.personaId, prompt.contentHash],
			set: { tags: sql`case when ${ARENA_TAG} = any(${prompt.tags}) then ${prompt.tags} else array_append(${prompt.tags}, ${ARENA_TAG}) end` }
		})
		.returning({ id: prompt.id });
	return kept!.id;
}

/** The persona's newest open round whose models include both, else a new arena round of the two. */
async function roundFor(tx: Tx, rows: BattleRows): Promise<{ id: string; priority: number }> {
	const [a, b] = rows.replies.map((reply) => reply.modelVersionId) as [string, string];
	const [open] = await tx
		.select({ id: evaluationRound.id, priority: evaluationRound.priority })
		.from(evaluationRound)
		.where(
			and(
				eq(evaluationRound.personaId, rows.personaId),
				isNull(evaluationRound.closedAt),
				sql`(select count(*) from evaluation_round_model m where m.round_id = ${evaluationRound.id} and m.model_version_id in (${a}, ${b})) = 2`
			)
		)
		.orderBy(desc(evaluationRound.createdAt), desc(evaluationRound.number))
		.limit(1);
	if (open) return open;
	const other = rows.currentId === a ? b : a;
	const round = await insertRound(
		tx,
		{
			personaId: rows.personaId,
			source: 'arena',
			promptSource: 'arena',
			candidateModelVersionId: rows.currentId ? other : null,
			baselineModelVersionId: rows.currentId,
			priority: rows.priority,
			overlap: 1,
			createdBy: rows.userId
		},
		[a, b]
	);
	// A round about a candidate is watched like any other (rounds.ts): with autoPromote, arena votes alone can promote it.
	if (rows.currentId) await tx.insert(job).values({ kind: WATCH_JOB, payload: { roundId: round.id }, personaId: rows.personaId, dedupeKey: watchDedupeKey(round.id) });
	return { id: round.id, priority: rows.priority };
}

/** Writes the battle; two callers with one battle id meet at the pair's primary key. Returns the round's id. */
export async function writeBattle(tx: Tx, rows: BattleRows): Promise<{ roundId: string }> {
	// One battle at a time per persona picks or opens its round, so two battles never open two rounds.
	await tx.select({ id: persona.id }).from(persona).where(eq(persona.id, rows.personaId)).for('update');
	const promptId = await keepPrompt(tx, rows);
	const stored = await tx
		.insert(candidate)
		.values(
			rows.replies.map((reply) => ({
				promptId,
				modelVersionId: reply.modelVersionId,
				text: reply.text,
				params: { ...reply.params, responseId: reply.responseId },
				finishReason: reply.finishReason,
				promptTokens: reply.promptTokens,
				completionTokens: reply.completionTokens,
				latencyMs: Math.round(reply.latencyMs),
				source: 'sampled' as const
			}))
		)
		.returning({ id: candidate.id });
	const [a, b] = stored.map((row) => row.id) as [string, string];
	const round = await roundFor(tx, rows);
	await tx.insert(pair).values({
		id: rows.battleId,
		promptId,
		personaId: rows.personaId,
		candidateAId: a,
		candidateBId: b,
		overlap: 1,
		priority: round.priority,
		evaluationRoundId: round.id,
		leaseCount: 1
	});
	const left = Math.random() < 0.5 ? a : b;
	await tx.insert(pairHandout).values({ pairId: rows.battleId, annotatorId: rows.userId, leftCandidateId: left });
	await tx.insert(lease).values({
		pairId: rows.battleId,
		annotatorId: rows.userId,
		leftCandidateId: left,
		expiresAt: sql`now() + make_interval(mins => ${rows.leaseMinutes})`
	});
	const models = rows.replies.map((reply) => reply.modelVersionId);
	await audit.record(tx, { actorId: rows.userId, action: 'arena.battle', targetType: 'pair', targetId: rows.battleId, details: { roundId: round.id, promptId, models } });
	return { roundId: round.id };
}

/** A pair is an arena battle when it is an evaluation pair of a prompt written in the arena. */
export const isArenaPair = sql`p.evaluation_round_id is not null and ${ARENA_TAG} = any(pr.tags)`;

export type BattleRow = {
	pair_id: string;
	left_candidate_id: string;
	expires_at: Date | string | null;
	judged: boolean;
	domain: string;
	messages: ChatMessage[] | string;
	a_id: string;
	a_text: string;
	a_finish_reason: string | null;
	a_model: string;
	a_status: 'candidate' | 'current' | 'retired';
	b_id: string;
	b_text: string;
	b_finish_reason: string | null;
	b_model: string;
	b_status: 'candidate' | 'current' | 'retired';
};

/** An arena battle as handed to this person (their left side), with whether they voted; `where` narrows it further. */
export async function battleRows(db: DbOrTx, userId: string, where: SQL): Promise<BattleRow[]> {
	return rowsOf<BattleRow>(
		await db.execute(sql`
			select p.id as pair_id, h.left_candidate_id, l.expires_at,
				exists (select 1 from judgment j where j.pair_id = p.id and j.annotator_id = ${userId}) as judged,
				pr.domain, pr.messages,
				ca.id as a_id, ca.text as a_text, ca.finish_reason as a_finish_reason, ma.name as a_model, ma.status as a_status,
				cb.id as b_id, cb.text as b_text, cb.finish_reason as b_finish_reason, mb.name as b_model, mb.status as b_status
			from pair p
			join pair_handout h on h.pair_id = p.id and h.annotator_id = ${userId}
			join prompt pr on pr.id = p.prompt_id
			join candidate ca on ca.id = p.candidate_a_id
			join candidate cb on cb.id = p.candidate_b_id
			join model_version ma on ma.id = ca.model_version_id
			join model_version mb on mb.id = cb.model_version_id
			left join lease l on l.pair_id = p.id and l.annotator_id = ${userId}
			where ${isArenaPair} and ${where}
			order by h.created_at desc
			limit 1`)
	);
}
