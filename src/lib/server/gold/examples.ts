import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { text } from '../text';
import * as audit from '../audit';
import * as goldChecks from './checks';
import { rowsOf, type Db, type Tx } from '../db';
import { candidate, goldExample, goldReview, goldRevision, prompt, reviewDecisions } from '../db/schema';
import { ConflictError, FieldError, isUniqueViolation, NotFoundError } from '../errors';
import type { GoldConflict } from '../../gold/types';

/**
 * Gold examples: a reply as the persona would write it, edited from a model's
 * candidate or written from scratch. Every save is a new numbered revision;
 * a save names the revision it was edited from, so two tabs (or a stale
 * autosave) never overwrite each other silently: the second gets a conflict
 * carrying both texts. Reviewers approve, return or reject a submitted
 * revision; nobody reviews their own example.
 */

export const goldTextSchema = text({ error: 'Write the reply.' }).max(20_000, 'Keep a gold reply under 20,000 characters.');

export type { GoldConflict } from '../../gold/types';

/** The second of two concurrent edits: both texts travel with it so the page can show them side by side. */
export class GoldConflictError extends ConflictError {
	constructor(readonly conflict: GoldConflict) {
		super(`Revision ${conflict.latestRevision} was saved meanwhile (another tab or device). Compare both texts and keep what you want.`);
		this.name = 'GoldConflictError';
	}
}

async function latestRevision(tx: Tx | Db, goldExampleId: string): Promise<{ id: string; revision: number; text: string } | undefined> {
	const [latest] = await tx
		.select({ id: goldRevision.id, revision: goldRevision.revision, text: goldRevision.text })
		.from(goldRevision)
		.where(eq(goldRevision.goldExampleId, goldExampleId))
		.orderBy(desc(goldRevision.revision))
		.limit(1);
	return latest;
}

/** Opens an example, prefilled with the candidate's text (or empty, to write from scratch): revision 1. */
export async function startGold(
	db: Db,
	input: { promptId: string; sourceCandidateId?: string | null; authorId: string }
): Promise<{ id: string; revision: number; text: string }> {
	return db.transaction(async (tx) => {
		let text = '';
		if (input.sourceCandidateId) {
			const [source] = await tx
				.select({ text: candidate.text, promptId: candidate.promptId })
				.from(candidate)
				.where(eq(candidate.id, input.sourceCandidateId));
			if (!source || source.promptId !== input.promptId) throw new FieldError('sourceCandidateId', 'That reply does not answer this prompt.');
			text = source.text;
		} else {
			const [found] = await tx.select({ id: prompt.id }).from(prompt).where(eq(prompt.id, input.promptId));
			if (!found) throw new NotFoundError('No such prompt.');
		}
		const [example] = await tx
			.insert(goldExample)
			.values({ promptId: input.promptId, sourceCandidateId: input.sourceCandidateId ?? null, authorId: input.authorId })
			.returning({ id: goldExample.id });
		await tx.insert(goldRevision).values({ goldExampleId: example!.id, revision: 1, text, authorId: input.authorId });
		return { id: example!.id, revision: 1, text };
	});
}

async function ownedOpenExample(tx: Tx, goldExampleId: string, authorId: string): Promise<void> {
	const [example] = await tx
		.select({ authorId: goldExample.authorId, status: goldExample.status })
		.from(goldExample)
		.where(eq(goldExample.id, goldExampleId))
		.for('update');
	if (!example) throw new NotFoundError('No such gold example.');
	if (example.authorId !== authorId) throw new FieldError('goldExampleId', 'Only the author edits a gold example.');
	if (example.status !== 'draft' && example.status !== 'changes_requested')
		throw new ConflictError(`This example is ${example.status.replace('_', ' ')}; it can be edited again only if a reviewer asks for changes.`);
}

/**
 * Saves the author's text as the next revision after `baseRevision`. Saving
 * the same text again is a no-op (autosave on every blur stays cheap).
 */
export async function saveRevision(
	db: Db,
	input: { goldExampleId: string; authorId: string; baseRevision: number; text: string }
): Promise<{ revision: number; saved: boolean }> {
	const text = goldTextSchema.parse(input.text);
	try {
		return await db.transaction(async (tx) => {
			await ownedOpenExample(tx, input.goldExampleId, input.authorId);
			const latest = await latestRevision(tx, input.goldExampleId);
			if (latest && latest.revision !== input.baseRevision)
				throw new GoldConflictError({ latestRevision: latest.revision, latestText: latest.text, yourText: text });
			if (latest && latest.text === text) return { revision: latest.revision, saved: false };
			const revision = input.baseRevision + 1;
			await tx.insert(goldRevision).values({ goldExampleId: input.goldExampleId, revision, text, authorId: input.authorId });
			await tx.update(goldExample).set({ updatedAt: new Date() }).where(eq(goldExample.id, input.goldExampleId));
			return { revision, saved: true };
		});
	} catch (error) {
		// Two saves from the same base at the same instant: the unique revision number lets one through.
		if (isUniqueViolation(error, 'gold_revision_number_unique')) {
			const latest = await latestRevision(db, input.goldExampleId);
			throw new GoldConflictError({ latestRevision: latest?.revision ?? 0, latestText: latest?.text ?? '', yourText: text });
		}
		throw error;
	}
}

/** Sends the latest revision to review; `revision` must be the latest, so what is reviewed is what the author saw. */
export async function submitForReview(db: Db, input: { goldExampleId: string; authorId: string; revision: number }): Promise<void> {
	await db.transaction(async (tx) => {
		await ownedOpenExample(tx, input.goldExampleId, input.authorId);
		const latest = await latestRevision(tx, input.goldExampleId);
		if (!latest || latest.revision !== input.revision) throw new ConflictError('A newer revision exists: reload before submitting.');
		if (!latest.text.trim()) throw new FieldError('text', 'An empty reply cannot be submitted.');
		await tx.update(goldExample).set({ status: 'submitted', updatedAt: new Date() }).where(eq(goldExample.id, input.goldExampleId));
		await audit.record(tx, { actorId: input.authorId, action: 'gold.submit', targetType: 'gold_example', targetId: input.goldExampleId, details: { revision: latest.revision } });
	});
}

export const reviewInputSchema = z
	.object({
		decision: z.enum(reviewDecisions, { error: 'Approve, request changes or reject.' }),
		comment: text().trim().max(4000, 'Keep the comment under 4,000 characters.').optional()
	})
	.refine((r) => r.decision === 'approved' || (r.comment && r.comment.length > 0), {
		path: ['comment'],
		message: 'Say what should change (or why it is rejected).'
	});
export type ReviewInput = z.infer<typeof reviewInputSchema>;

/** A reviewer's decision on the submitted revision. Nobody reviews their own example — checked here, not only hidden in the page. */
export async function reviewExample(
	db: Db,
	input: { goldExampleId: string; reviewerId: string; revision: number } & ReviewInput
): Promise<void> {
	const checked = reviewInputSchema.safeParse({ decision: input.decision, comment: input.comment });
	if (!checked.success) {
		const issue = checked.error.issues[0]!;
		throw new FieldError(String(issue.path[0] ?? 'decision'), issue.message);
	}
	await db.transaction(async (tx) => {
		const [example] = await tx
			.select({ authorId: goldExample.authorId, status: goldExample.status })
			.from(goldExample)
			.where(eq(goldExample.id, input.goldExampleId))
			.for('update');
		if (!example) throw new NotFoundError('No such gold example.');
		if (example.authorId === input.reviewerId) throw new FieldError('decision', 'Nobody reviews their own example: another reviewer has to.');
		if (example.status !== 'submitted') throw new ConflictError(`This example is ${example.status.replace('_', ' ')}, not waiting for review.`);
		const latest = await latestRevision(tx, input.goldExampleId);
		if (!latest || latest.revision !== input.revision) throw new ConflictError('The author changed the text since you opened it: reload.');
		await tx.insert(goldReview).values({
			goldExampleId: input.goldExampleId,
			revisionId: latest.id,
			reviewerId: input.reviewerId,
			decision: input.decision,
			comment: input.comment || null
		});
		await tx.update(goldExample).set({ status: input.decision, updatedAt: new Date() }).where(eq(goldExample.id, input.goldExampleId));
		// in the review's transaction: an approved edit and its check exist together or not at all
		if (input.decision === 'approved') await goldChecks.checkFromApproval(tx, latest.id);
		await audit.record(tx, { actorId: input.reviewerId, action: `gold.${input.decision}`, targetType: 'gold_example', targetId: input.goldExampleId, details: { revision: latest.revision } });
	});
}

export type GoldHistory = {
	revisions: Array<{ revision: number; text: string; authorId: string; createdAt: Date }>;
	reviews: Array<{ revision: number; reviewerId: string; decision: string; comment: string | null; createdAt: Date }>;
};

/** Every revision and decision, oldest first: nothing is ever overwritten. */
export async function historyOf(db: Db, goldExampleId: string): Promise<GoldHistory> {
	const revisions = await db
		.select({ revision: goldRevision.revision, text: goldRevision.text, authorId: goldRevision.authorId, createdAt: goldRevision.createdAt })
		.from(goldRevision)
		.where(eq(goldRevision.goldExampleId, goldExampleId))
		.orderBy(goldRevision.revision);
	const reviews = await db
		.select({ revision: goldRevision.revision, reviewerId: goldReview.reviewerId, decision: goldReview.decision, comment: goldReview.comment, createdAt: goldReview.createdAt })
		.from(goldReview)
		.innerJoin(goldRevision, eq(goldRevision.id, goldReview.revisionId))
		.where(and(eq(goldReview.goldExampleId, goldExampleId)))
		.orderBy(goldReview.createdAt);
	return { revisions, reviews };
}

export type ImplicitPreference = { goldExampleId: string; promptId: string; chosen: string; rejected: string; rejectedCandidateId: string; source: 'gold_edit' };

/** Approved edits of model replies as preferences (gold over the original), from the `gold_preference` view. */
export async function implicitPreferences(db: Db, personaId: string): Promise<ImplicitPreference[]> {
	const rows = rowsOf<{ gold_example_id: string; prompt_id: string; chosen: string; rejected: string; rejected_candidate_id: string; source: 'gold_edit' }>(
		await db.execute(sql`
			select gold_example_id, prompt_id, chosen, rejected, rejected_candidate_id, source
			from gold_preference where persona_id = ${personaId} order by approved_at`)
	);
	return rows.map((r) => ({
		goldExampleId: r.gold_example_id,
		promptId: r.prompt_id,
		chosen: r.chosen,
		rejected: r.rejected,
		rejectedCandidateId: r.rejected_candidate_id,
		source: r.source
	}));
}
