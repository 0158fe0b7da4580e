import { error } from '@sveltejs/kit';
import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as gold from '$lib/server/gold/examples';
import { candidate, goldExample, persona, prompt, user } from '$lib/server/db/schema';
import { ConflictError, FieldError, NotFoundError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import { renderMarkdown } from '$lib/server/markdown';
import { requireRole } from '$lib/server/auth/guard';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

const idSchema = z.uuid();
const revisionSchema = z.coerce.number({ error: 'Reload the page: which revision is this?' }).int().min(1);

/** A stale or hand-made link is a 404, never a database error about a malformed uuid. */
function exampleIdOf(event: { params: { id: string } }): string {
	const parsed = idSchema.safeParse(event.params.id);
	if (!parsed.success) error(404, 'No such gold example.');
	return parsed.data;
}

export const load: PageServerLoad = async (event) => {
	const me = requireRole(event, 'reviewer', 'admin');
	const id = exampleIdOf(event);
	const db = runtime.db();
	const [example] = await db
		.select({
			id: goldExample.id,
			status: goldExample.status,
			authorId: goldExample.authorId,
			messages: prompt.messages,
			domain: prompt.domain,
			original: candidate.text,
			personaName: persona.name,
			styleGuide: persona.styleGuide
		})
		.from(goldExample)
		.innerJoin(prompt, eq(prompt.id, goldExample.promptId))
		.innerJoin(persona, eq(persona.id, prompt.personaId))
		.leftJoin(candidate, eq(candidate.id, goldExample.sourceCandidateId))
		.where(eq(goldExample.id, id));
	if (!example) error(404, 'No such gold example.');
	const history = await gold.historyOf(db, id);
	const names = await namesOf([example.authorId, ...history.revisions.map((r) => r.authorId), ...history.reviews.map((r) => r.reviewerId)]);
	const latest = history.revisions.at(-1);
	return {
		example: {
			id: example.id,
			status: example.status,
			domain: example.domain,
			authorName: names.get(example.authorId) ?? 'someone',
			mine: example.authorId === me.id
		},
		messages: example.messages.map((m) => ({ role: m.role, html: renderMarkdown(m.content) })),
		/** Null when the example was written from scratch. */
		original: example.original,
		latest: latest ? { revision: latest.revision, text: latest.text, html: renderMarkdown(latest.text) } : null,
		persona: { name: example.personaName, styleGuideHtml: renderMarkdown(example.styleGuide) },
		history: {
			revisions: history.revisions.map((r) => ({ revision: r.revision, text: r.text, authorName: names.get(r.authorId) ?? 'someone', createdAt: r.createdAt })),
			reviews: history.reviews.map((r) => ({ ...r, reviewerName: names.get(r.reviewerId) ?? 'someone' }))
		}
	};
};

async function namesOf(ids: string[]): Promise<Map<string, string>> {
	const unique = [...new Set(ids)];
	const rows = await runtime.db().select({ id: user.id, name: user.displayName }).from(user).where(inArray(user.id, unique));
	return new Map(rows.map((r) => [r.id, r.name]));
}

/** One decision on the revision the reviewer was shown; the domain refuses self-review and stale revisions. */
async function decide(event: RequestEvent, decision: gold.ReviewInput['decision']) {
	const me = requireRole(event, 'reviewer', 'admin');
	const id = exampleIdOf(event);
	// A stale link is a 404 before anything about the form: there is nothing to decide on.
	const [found] = await runtime.db().select({ id: goldExample.id }).from(goldExample).where(eq(goldExample.id, id));
	if (!found) error(404, 'No such gold example.');
	const fields = formValues(await event.request.formData(), ['revision', 'comment']);
	const values = { decision, comment: fields.comment ?? '' };
	const revision = revisionSchema.safeParse(fields.revision);
	if (!revision.success) return rejectForm(400, { revision: revision.error.issues[0]!.message }, values);
	try {
		await gold.reviewExample(runtime.db(), { goldExampleId: id, reviewerId: me.id, revision: revision.data, decision, comment: fields.comment });
	} catch (e) {
		if (e instanceof FieldError) return rejectForm(400, { [e.field]: e.message }, values);
		if (e instanceof ConflictError) return rejectForm(409, { form: e.message }, values);
		if (e instanceof NotFoundError) error(404, e.message);
		throw e;
	}
	return { decided: decision };
}

export const actions: Actions = {
	approve: (event) => decide(event, 'approved'),
	requestChanges: (event) => decide(event, 'changes_requested'),
	reject: (event) => decide(event, 'rejected')
};
