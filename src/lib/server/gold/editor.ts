import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db';
import { candidate, goldExample, goldReview, goldRevision, prompt, type Role } from '../db/schema';
import { renderMarkdown } from '../markdown';
import type { GoldEditorView } from '../../gold/types';

/**
 * Reading a gold example for the editor page and its API. Who may read: its
 * author, and any reviewer or admin (read-only). Writes go through
 * `./examples`, which checks authorship again.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path segment that is not a UUID names nothing (and must not reach postgres as one). */
export function isUuid(value: string | null | undefined): value is string {
	return !!value && UUID.test(value);
}

export type Reader = { id: string; role: Role };

export type GoldAccess = 'missing' | 'forbidden' | 'allowed';

/** Whether `reader` may open the example: checked before a body is parsed, so an unknown id is a 404 whatever was sent. */
export async function accessTo(db: Db, goldExampleId: string, reader: Reader): Promise<GoldAccess> {
	if (!isUuid(goldExampleId)) return 'missing';
	const [example] = await db.select({ authorId: goldExample.authorId }).from(goldExample).where(eq(goldExample.id, goldExampleId));
	if (!example) return 'missing';
	return example.authorId === reader.id || reader.role === 'reviewer' || reader.role === 'admin' ? 'allowed' : 'forbidden';
}

/** The example as the editor shows it; undefined when it does not exist. Call `accessTo` first. */
export async function viewGold(db: Db, goldExampleId: string, reader: Reader): Promise<GoldEditorView | undefined> {
	if (!isUuid(goldExampleId)) return undefined;
	const [example] = await db
		.select({ id: goldExample.id, status: goldExample.status, authorId: goldExample.authorId, messages: prompt.messages, sourceId: goldExample.sourceCandidateId, sourceText: candidate.text })
		.from(goldExample)
		.innerJoin(prompt, eq(prompt.id, goldExample.promptId))
		.leftJoin(candidate, eq(candidate.id, goldExample.sourceCandidateId))
		.where(eq(goldExample.id, goldExampleId));
	if (!example) return undefined;
	const [latest] = await db
		.select({ revision: goldRevision.revision, text: goldRevision.text })
		.from(goldRevision)
		.where(eq(goldRevision.goldExampleId, goldExampleId))
		.orderBy(desc(goldRevision.revision))
		.limit(1);
	const [review] = await db
		.select({ decision: goldReview.decision, comment: goldReview.comment, createdAt: goldReview.createdAt })
		.from(goldReview)
		.where(eq(goldReview.goldExampleId, goldExampleId))
		.orderBy(desc(goldReview.createdAt))
		.limit(1);
	const open = example.status === 'draft' || example.status === 'changes_requested';
	return {
		id: example.id,
		status: example.status,
		editable: open && example.authorId === reader.id,
		messages: example.messages.map((m) => ({ role: m.role, html: renderMarkdown(m.content) })),
		source: example.sourceId && example.sourceText !== null ? { candidateId: example.sourceId, text: example.sourceText } : null,
		latest: latest ?? { revision: 0, text: '' },
		latestReview: review ? { ...review, createdAt: review.createdAt.toISOString() } : null
	};
}

/** The prompt a candidate answers, to start an example from it; undefined when there is no such candidate. */
export async function promptOfCandidate(db: Db, candidateId: string): Promise<string | undefined> {
	if (!isUuid(candidateId)) return undefined;
	const [found] = await db.select({ promptId: candidate.promptId }).from(candidate).where(eq(candidate.id, candidateId));
	return found?.promptId;
}

/** The author's still-open example edited from this candidate, so pressing E twice (or going back) opens it again instead of a copy. */
export async function openExampleFrom(db: Db, authorId: string, candidateId: string): Promise<string | undefined> {
	const [found] = await db
		.select({ id: goldExample.id })
		.from(goldExample)
		.where(and(eq(goldExample.authorId, authorId), eq(goldExample.sourceCandidateId, candidateId), inArray(goldExample.status, ['draft', 'changes_requested'])))
		.orderBy(desc(goldExample.updatedAt))
		.limit(1);
	return found?.id;
}
