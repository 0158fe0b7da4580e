import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type Db, type Tx } from '../db';
import { judgment, pair, pairSkip, type Choice } from '../db/schema';
import { ConflictError, FieldError, NotFoundError } from '../errors';
import { releaseLease } from './lease';

/** What the page sends: sides as the annotator saw them; the server maps them to the pair's A/B. */
export const judgmentInputSchema = z
	.object({
		clientId: z.uuid('clientId must be a UUID made by the page'),
		pairId: z.uuid('pairId must be a UUID'),
		leftCandidateId: z.uuid('leftCandidateId must be a UUID'),
		preferred: z.enum(['left', 'right', 'tie', 'both_off_persona'], { error: 'Choose left, right, tie or both off-persona.' }),
		strength: z.number().int().min(1).max(4).nullable().optional(),
		rationale: z.string().trim().max(2000, 'Keep the rationale under 2000 characters.').optional(),
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

function toChoice(input: JudgmentInput, candidateAId: string): Choice {
	if (input.preferred === 'left') return input.leftCandidateId === candidateAId ? 'a' : 'b';
	if (input.preferred === 'right') return input.leftCandidateId === candidateAId ? 'b' : 'a';
	return input.preferred;
}

/**
 * Records a judgment once, however often it is sent: the client's id is
 * unique, so a retry (or the same submit twice at once) finds the first one.
 * The annotator's lease becomes the vote; without a lease (it expired and was
 * reclaimed) the vote counts only if the pair still has a free slot.
 */
export async function submitJudgment(db: Db, annotatorId: string, input: JudgmentInput): Promise<SubmitResult> {
	return db.transaction((tx) => recordJudgment(tx, annotatorId, input));
}

/** `submitJudgment` inside the caller's transaction. */
export async function recordJudgment(tx: Tx, annotatorId: string, input: JudgmentInput): Promise<SubmitResult> {
	const [target] = await tx.select({ a: pair.candidateAId, b: pair.candidateBId }).from(pair).where(eq(pair.id, input.pairId));
	if (!target) throw new NotFoundError('That pair no longer exists.');
	if (input.leftCandidateId !== target.a && input.leftCandidateId !== target.b)
		throw new FieldError('leftCandidateId', 'leftCandidateId is not one of this pair’s candidates.');
	const choice = toChoice(input, target.a);
	const [inserted] = await tx
		.insert(judgment)
		.values({
			clientId: input.clientId,
			pairId: input.pairId,
			annotatorId,
			choice,
			strength: choice === 'a' || choice === 'b' ? input.strength! : null,
			leftCandidateId: input.leftCandidateId,
			durationMs: input.durationMs ?? null,
			rationale: input.rationale || null
		})
		.onConflictDoNothing()
		.returning({ id: judgment.id });
	if (!inserted) return existingJudgment(tx, annotatorId, input);
	await turnLeaseIntoVote(tx, annotatorId, input.pairId);
	return { status: 'recorded', judgmentId: inserted.id, choice };
}

async function existingJudgment(tx: Tx, annotatorId: string, input: JudgmentInput): Promise<SubmitResult> {
	const [same] = await tx
		.select({ id: judgment.id, annotatorId: judgment.annotatorId, pairId: judgment.pairId, choice: judgment.choice })
		.from(judgment)
		.where(eq(judgment.clientId, input.clientId));
	if (same && same.annotatorId === annotatorId && same.pairId === input.pairId)
		return { status: 'duplicate', judgmentId: same.id, choice: same.choice };
	if (same) throw new FieldError('clientId', 'This clientId belongs to another judgment.');
	throw new ConflictError('You have already judged this pair.');
}

async function turnLeaseIntoVote(tx: Tx, annotatorId: string, pairId: string): Promise<void> {
	const result = await tx.execute(sql`
		with gone as (
			delete from lease where pair_id = ${pairId} and annotator_id = ${annotatorId} returning pair_id
		)
		update pair set
			lease_count = pair.lease_count - (select count(*) from gone)::smallint,
			judgment_count = pair.judgment_count + 1
		where pair.id = ${pairId}
			and (exists (select 1 from gone) or pair.judgment_count + pair.lease_count < pair.overlap)
		returning pair.id`);
	if (rowsOf(result).length === 0) throw new LeaseLostError();
}

/** Passes on a pair: it is never handed to this annotator again, and its slot is free for others. */
export async function skipPair(db: Db, annotatorId: string, pairId: string): Promise<void> {
	await db.transaction(async (tx) => {
		await tx.insert(pairSkip).values({ pairId, annotatorId }).onConflictDoNothing();
		await releaseLease(tx, annotatorId, pairId);
	});
}

/**
 * Takes back the annotator's own judgment within `windowSeconds` of making it:
 * the vote becomes a lease again, so the same pair comes straight back to them.
 */
export async function undoJudgment(
	db: Db,
	annotatorId: string,
	clientId: string,
	windowSeconds: number,
	leaseMinutes: number
): Promise<{ pairId: string; leftCandidateId: string }> {
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
		if (!gone) throw new FieldError('clientId', `Only your own judgment of the last ${windowSeconds} seconds can be undone.`);
		await tx.execute(sql`
			update pair set judgment_count = judgment_count - 1, lease_count = lease_count + 1 where id = ${gone.pairId}`);
		await tx.execute(sql`
			insert into lease (pair_id, annotator_id, left_candidate_id, expires_at)
			values (${gone.pairId}, ${annotatorId}, ${gone.leftCandidateId}, now() + make_interval(mins => ${leaseMinutes}))`);
		return gone;
	});
}
