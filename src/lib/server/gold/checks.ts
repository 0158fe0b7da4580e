import { and, eq, sql } from 'drizzle-orm';
import * as audit from '../audit';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { candidate, modelVersion, pair, persona } from '../db/schema';
import { FieldError } from '../errors';
import { readQualitySettings } from '../quality/settings';

/**
 * Approved gold edits become gold checks: the approved revision's text against
 * the reply it was edited from, the edit's side as the known answer, sides drawn
 * at random. One check per approved revision, keyed by candidate.gold_revision_id:
 * a later approved revision makes its own check and the earlier one stays as it
 * is, because the text of a pair people have judged never changes under them.
 * An approval that left the text as it was makes no check (there is nothing to tell apart).
 */

/** The model version people's approved edits belong to: one per persona, never current (a CHECK), never sampled (not an endpoint). */
export const HUMAN_MODEL_NAME = 'Approved gold edits';

async function humanModelOf(tx: DbOrTx, personaId: string): Promise<string> {
	const find = () =>
		tx
			.select({ id: modelVersion.id })
			.from(modelVersion)
			.where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.kind, 'human')))
			.limit(1);
	const [existing] = await find();
	if (existing) return existing.id;
	await tx.insert(modelVersion).values({ personaId, name: HUMAN_MODEL_NAME, kind: 'human', status: 'candidate' }).onConflictDoNothing();
	const [made] = await find();
	if (!made) throw new FieldError('name', `A model version named "${HUMAN_MODEL_NAME}" already exists: rename it so approved gold edits can be recorded.`);
	return made.id;
}

type ApprovedEdit = { revisionId: string; text: string; sourceId: string; sourceText: string; promptId: string; personaId: string; overlap: number };

const approvedEdits = (where: ReturnType<typeof sql>) => sql`
	select r.id as revision_id, r.text, c.id as source_id, c.text as source_text, c.prompt_id, pr.persona_id, pe.default_overlap as overlap
	from gold_review gr
	join gold_revision r on r.id = gr.revision_id
	join gold_example g on g.id = gr.gold_example_id
	join candidate c on c.id = g.source_candidate_id
	join prompt pr on pr.id = c.prompt_id
	join persona pe on pe.id = pr.persona_id
	where gr.decision = 'approved' and ${where}
		and not exists (select 1 from candidate x where x.gold_revision_id = r.id)`;

function editsOf(rows: Record<string, unknown>[]): ApprovedEdit[] {
	return rows.map((r) => ({
		revisionId: String(r.revision_id),
		text: String(r.text),
		sourceId: String(r.source_id),
		sourceText: String(r.source_text),
		promptId: String(r.prompt_id),
		personaId: String(r.persona_id),
		overlap: Number(r.overlap)
	}));
}

/** Makes the check for one approved edit; false when it already exists or the text was not changed. */
async function checkFromEdit(tx: DbOrTx, edit: ApprovedEdit): Promise<boolean> {
	if (edit.text.trim() === edit.sourceText.trim()) return false;
	const modelVersionId = await humanModelOf(tx, edit.personaId);
	const [made] = await tx
		.insert(candidate)
		.values({ promptId: edit.promptId, modelVersionId, text: edit.text, source: 'gold_edit', goldRevisionId: edit.revisionId })
		.onConflictDoNothing()
		.returning({ id: candidate.id });
	if (!made) return false;
	const editFirst = Math.random() < 0.5;
	await tx.insert(pair).values({
		promptId: edit.promptId,
		personaId: edit.personaId,
		candidateAId: editFirst ? made.id : edit.sourceId,
		candidateBId: editFirst ? edit.sourceId : made.id,
		// checks ignore overlap; it is the persona's default so the pair reads sensibly if it is ever unmarked
		overlap: edit.overlap,
		knownAnswer: editFirst ? 'a' : 'b'
	});
	return true;
}

/**
 * Called in the review's transaction when a revision is approved: makes its
 * check if the persona's `goldEditChecks` is on. Safe to repeat.
 */
export async function checkFromApproval(tx: DbOrTx, revisionId: string): Promise<boolean> {
	const edits = editsOf(rowsOf(await tx.execute(approvedEdits(sql`r.id = ${revisionId}`))));
	const edit = edits[0];
	if (!edit || !(await readQualitySettings(tx, edit.personaId)).goldEditChecks) return false;
	return checkFromEdit(tx, edit);
}

/**
 * Makes the checks of every edit of this persona approved before checks
 * existed (or while the setting was off). All or nothing, safe to repeat. Audited.
 */
export async function backfillGoldEditChecks(db: Db, personaId: string, actor: { id: string; ip?: string | null }): Promise<number> {
	if (!(await readQualitySettings(db, personaId)).goldEditChecks)
		throw new FieldError('goldEditChecks', 'Gold edits do not become checks for this persona: turn the goldEditChecks setting on first.');
	return db.transaction(async (tx) => {
		// one backfill per persona at a time: the second waits and then finds nothing left to make
		await tx.select({ id: persona.id }).from(persona).where(eq(persona.id, personaId)).for('update');
		const edits = editsOf(rowsOf(await tx.execute(approvedEdits(sql`pr.persona_id = ${personaId}`))));
		let made = 0;
		for (const edit of edits) if (await checkFromEdit(tx, edit)) made += 1;
		await audit.record(tx, { actorId: actor.id, action: 'gold.checks.backfill', targetType: 'persona', targetId: personaId, details: { made }, ip: actor.ip });
		return made;
	});
}
