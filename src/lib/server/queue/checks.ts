import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import * as audit from '../audit';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { choices, pair, type Choice } from '../db/schema';
import { ConflictError, NotFoundError } from '../errors';

/**
 * Gold checks: pairs with a known answer, mixed into every annotator's queue
 * at the persona's rate (rank_hand_out in drizzle/0010_gold_checks.sql). A
 * check lives outside the overlap counters, which stay 0 while it is one;
 * marking clears them and unmarking recounts them from the votes and leases.
 */

export const markCheckSchema = z.object({
	pairId: z.uuid('pairId must be the id of a pair.'),
	knownAnswer: z.enum(choices, { error: 'knownAnswer: choose a, b, tie or both off-persona.' })
});
export const unmarkCheckSchema = z.object({ pairId: z.uuid('pairId must be the id of a pair.') });

export type Actor = { id: string; ip?: string | null };

/** The most annotators a regular pair may have (pair_overlap_range): a check answered by more stays a check. */
const MAX_OVERLAP = 20;

async function lockPair(tx: DbOrTx, pairId: string) {
	const [found] = await tx
		.select({ id: pair.id, knownAnswer: pair.knownAnswer, overlap: pair.overlap, personaId: pair.personaId })
		.from(pair)
		.where(eq(pair.id, pairId))
		.for('update');
	if (!found) throw new NotFoundError('That pair does not exist (any more).');
	return found;
}

/** Makes a pair a check with `knownAnswer` (or changes its answer); repeating it changes nothing. Audited. */
export async function markCheck(db: Db, pairId: string, knownAnswer: Choice, actor: Actor): Promise<{ changed: boolean }> {
	return db.transaction(async (tx) => {
		const found = await lockPair(tx, pairId);
		if (found.knownAnswer === knownAnswer) return { changed: false };
		// its votes and leases so far stay; from now on they are a check's, which no counter tracks
		await tx.update(pair).set({ knownAnswer, judgmentCount: 0, leaseCount: 0 }).where(eq(pair.id, pairId));
		await audit.record(tx, {
			actorId: actor.id,
			action: 'queue.check.mark',
			targetType: 'pair',
			targetId: pairId,
			details: { knownAnswer, was: found.knownAnswer },
			ip: actor.ip
		});
		return { changed: true };
	});
}

/**
 * Makes a check a regular pair again. Its counters are recounted from its votes
 * and leases; its overlap grows to fit them, so the pair is never over-handed.
 * A check answered by more annotators than any pair may have stays a check.
 * Repeating it changes nothing. Audited.
 */
export async function unmarkCheck(db: Db, pairId: string, actor: Actor): Promise<{ changed: boolean }> {
	return db.transaction(async (tx) => {
		const found = await lockPair(tx, pairId);
		if (found.knownAnswer === null) return { changed: false };
		// a new statement after the lock: it sees every vote committed by those who held the row before us
		const [counts] = rowsOf<{ judgments: number; leases: number }>(
			await tx.execute(sql`
				select (select count(*) from judgment where pair_id = ${pairId})::int as judgments,
					(select count(*) from lease where pair_id = ${pairId})::int as leases`)
		);
		const judgments = Number(counts?.judgments ?? 0);
		const leases = Number(counts?.leases ?? 0);
		if (judgments + leases > MAX_OVERLAP)
			throw new ConflictError(`${judgments + leases} annotators answered or hold this check, more than a pair may have (${MAX_OVERLAP}): it stays a check.`);
		const overlap = Math.max(found.overlap, judgments + leases);
		await tx.update(pair).set({ knownAnswer: null, judgmentCount: judgments, leaseCount: leases, overlap }).where(eq(pair.id, pairId));
		await audit.record(tx, {
			actorId: actor.id,
			action: 'queue.check.unmark',
			targetType: 'pair',
			targetId: pairId,
			details: { was: found.knownAnswer, judgments, leases, overlap },
			ip: actor.ip
		});
		return { changed: true };
	});
}

export type CheckSummary = {
	pairId: string;
	prompt: string;
	knownAnswer: Choice;
	/** made from an approved gold edit (else marked by an admin) */
	fromGoldEdit: boolean;
	answers: number;
	correct: number;
	/** correct / answers; null before the first answer */
	accuracy: number | null;
};

/** The persona's checks with their answers so far, newest first. */
export async function listChecks(db: Db, personaId: string, limit = 200): Promise<CheckSummary[]> {
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select p.id, p.known_answer, left(pr.messages -> -1 ->> 'content', 120) as prompt,
				(ca.source = 'gold_edit' or cb.source = 'gold_edit') as from_gold_edit,
				count(j.id)::int as answers,
				count(j.id) filter (where j.choice = p.known_answer)::int as correct
			from pair p
			join prompt pr on pr.id = p.prompt_id
			join candidate ca on ca.id = p.candidate_a_id
			join candidate cb on cb.id = p.candidate_b_id
			left join judgment j on j.pair_id = p.id
			where p.persona_id = ${personaId} and p.known_answer is not null
			group by p.id, pr.messages, ca.source, cb.source
			order by p.created_at desc, p.id
			limit ${limit}`)
	);
	return rows.map((r) => {
		const answers = Number(r.answers);
		const correct = Number(r.correct);
		return {
			pairId: String(r.id),
			prompt: String(r.prompt ?? ''),
			knownAnswer: r.known_answer as Choice,
			fromGoldEdit: Boolean(r.from_gold_edit),
			answers,
			correct,
			accuracy: answers > 0 ? correct / answers : null
		};
	});
}
