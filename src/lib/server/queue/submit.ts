import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { text } from '../text';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { judgment, judgmentUndo, pairHandout, pairSkip, type Choice } from '../db/schema';
import { ConflictError, FieldError, NotFoundError, postgresErrorOf } from '../errors';
import { releaseLease } from './lease';

/**
 * What the page sends: the side the annotator preferred as they saw it. Which
 * reply was on the left is the server's record of the hand-out, never the
 * client's word (an old page's `leftCandidateId` is stripped like any unknown key).
 */
export const judgmentInputSchema = z
	.object({
		clientId: z.uuid('clientId must be a UUID made by the page'),
		pairId: z.uuid('pairId must be a UUID'),
		preferred: z.enum(['left', 'right', 'tie', 'both_off_persona'], { error: 'Choose left, right, tie or both off-persona.' }),
		strength: z.number().int().min(1).max(4).nullable().optional(),
		rationale: text().trim().max(2000, 'Keep the rationale under 2000 characters.').optional(),
		durationMs: z.number().int().min(0).max(24 * 3600 * 1000).optional()
	})
	.superRefine((value, ctx) => {
		const sided = value.preferred === 'left' || value.preferred === 'right';
		if (sided && value.strength == null)
			ctx.addIssue({ code: 'custom', path: ['strength'], message: 'Say how much better (1–4).' });
		if (!sided && value.strength != null)
			ctx.addIssue({ code: 'custom', path: ['strength'], message: 'A tie or both off-persona has no strength.' });
	});
export type JudgmentInput = z.infer<typeof judgmentInputSchema>;

/** The pair went to someone else while this annotator's lease was expired: their vote is not needed. */
export class LeaseLostError extends ConflictError {
	constructor() {
		super('Your hold on this pair expired and it was judged by others in the meantime, so this judgment was not needed.');
		this.name = 'LeaseLostError';
	}
}

export type SubmitResult = { status: 'recorded' | 'duplicate'; judgmentId: string; choice: Choice };


/**
 * Records a judgment once, however often it is sent: the client's id is
 * unique, so a retry (or the same submit twice at once) finds the first one.
 * Only a pair handed to this annotator, and not skipped, can be judged; the
 * left side is the hand-out's. The annotator's lease becomes the vote; without
 * a lease (it expired and was reclaimed) the vote counts only if the pair
 * still has a free slot. (rank_submit in drizzle/0007_rank_lease_truth.sql.)
 */
export async function submitJudgment(db: Db, annotatorId: string, input: JudgmentInput): Promise<SubmitResult> {
	return recordJudgment(db, annotatorId, input);
}

/** `submitJudgment` inside the caller's transaction, when given one. */
export async function recordJudgment(db: DbOrTx, annotatorId: string, input: JudgmentInput): Promise<SubmitResult> {
	try {
		const result = await db.execute(sql`
			select * from rank_submit(${annotatorId}::uuid, ${input.clientId}::uuid, ${input.pairId}::uuid,
				${input.preferred}::text, ${input.strength ?? null}::integer,
				${input.rationale ?? null}::text, ${input.durationMs ?? null}::integer)`);
		const [row] = rowsOf<{ status: SubmitResult['status']; judgment_id: string; choice: Choice }>(result);
		if (!row) throw new Error('rank_submit returned no row');
		return { status: row.status, judgmentId: row.judgment_id, choice: row.choice };
	} catch (error) {
		throw domainError(error);
	}
}

/** The SQLSTATEs rank_submit raises, as the errors routes know how to answer. */
export function domainError(error: unknown): unknown {
	const pg = postgresErrorOf(error);
	if (!pg) return error;
	if (pg.code === 'CL404') return new NotFoundError(pg.message);
	if (pg.code === 'CL400') return new FieldError(pg.hint ?? 'judgment', pg.message);
	if (pg.code === 'CL409') return new ConflictError(pg.message);
	if (pg.code === 'CL410') return new LeaseLostError();
	return error;
}

/** Passes on a pair: it is never handed to this annotator again, and its slot is free for others. */
export async function skipPair(db: Db, annotatorId: string, pairId: string): Promise<void> {
	await db.transaction(async (tx) => {
		await tx.insert(pairSkip).values({ pairId, annotatorId }).onConflictDoNothing();
		await releaseLease(tx, annotatorId, pairId);
	});
}

export type UndoResult = { pairId: string; already: boolean };

/**
 * Takes back the annotator's own judgment within `windowSeconds` of making it:
 * the vote becomes a lease again, so the same pair comes straight back to them.
 * Safe to retry: the undo is remembered by client id, so asking again after a
 * lost answer succeeds with `already`; someone else's judgment, or one past
 * the window, is refused. A check's judgment moves no counter (it has none).
 */
export async function undoJudgment(
	db: Db,
	annotatorId: string,
	clientId: string,
	windowSeconds: number,
	leaseMinutes: number
): Promise<UndoResult> {
	return db.transaction(async (tx) => {
		const [gone] = await tx
			.delete(judgment)
			.where(
				and(
					eq(judgment.clientId, clientId),
					eq(judgment.annotatorId, annotatorId),
					sql`${judgment.createdAt} > now() - make_interval(secs => ${windowSeconds})`
				)
			)
			.returning({ pairId: judgment.pairId, leftCandidateId: judgment.leftCandidateId });
		if (!gone) {
			const [earlier] = await tx
				.select({ pairId: judgmentUndo.pairId })
				.from(judgmentUndo)
				.where(and(eq(judgmentUndo.clientId, clientId), eq(judgmentUndo.annotatorId, annotatorId)));
			if (earlier) return { pairId: earlier.pairId, already: true };
			throw new FieldError('clientId', `Only your own judgment of the last ${windowSeconds} seconds can be undone.`);
		}
		await tx.insert(judgmentUndo).values({ clientId, annotatorId, pairId: gone.pairId });
		await tx.execute(sql`
			update pair set judgment_count = judgment_count - 1, lease_count = lease_count + 1
			where id = ${gone.pairId} and known_answer is null`);
		await tx.execute(sql`
			insert into lease (pair_id, annotator_id, left_candidate_id, expires_at)
			values (${gone.pairId}, ${annotatorId}, ${gone.leftCandidateId}, now() + make_interval(mins => ${leaseMinutes}))`);
		// a judgment made before hand-outs were recorded has none: the new lease must be judgeable
		await tx
			.insert(pairHandout)
			.values({ pairId: gone.pairId, annotatorId, leftCandidateId: gone.leftCandidateId })
			.onConflictDoNothing();
		return { pairId: gone.pairId, already: false };
	});
}
