/**
 * Candidate import: replies generated elsewhere, all-or-nothing, one JSONL object a line:
 *
 *   {"prompt_id": "<the prompt's uuid, or its id from the prompt import>"   (or "prompt": "…", or "messages": […])
 *    "model": "<a model version of the persona, by name>",
 *    "completion": "<the reply>",
 *    "params": {"temperature", "top_p", "seed", "max_tokens", "finish_reason"}}   (optional)
 *
 * Stored with source 'imported'. The same reply (prompt + model + text) is
 * counted as a duplicate and skipped. Once every line is in, each prompt's new
 * replies are paired, in file order, by makePairs.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { cleanJson, text } from '../text';
import * as audit from '../audit';
import type { Db, Tx } from '../db';
import { candidate, modelVersion, prompt } from '../db/schema';
import type { PersonaSummary } from '../personas/find';
import { contentHash } from '../prompts/hash';
import { makePairs } from '../sampling/pairs';
import * as lines from './lines';
import { conversationSchema, externalIdSchema } from './prompts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Generation parameters as the generator reports them; unknown keys are kept as they are (jsonb), so every string in them is checked. */
const paramsSchema = cleanJson(z.looseObject(
	{
		temperature: z.number('temperature must be a number').min(0).max(10).optional(),
		top_p: z.number('top_p must be a number').min(0).max(1).optional(),
		seed: z.int('seed must be a whole number').optional(),
		max_tokens: z.int('max_tokens must be a whole number').positive().optional(),
		finish_reason: text('finish_reason must be text').min(1).optional()
	},
	'params must be an object'
));

const candidateLineSchema = z.preprocess(
	lines.withoutNulls,
	z
		.object(
			{
				prompt_id: externalIdSchema.optional(),
				prompt: text('prompt must be text').refine((text) => text.trim() !== '', 'prompt is empty').optional(),
				messages: conversationSchema.optional(),
				model: text('model must name a model version').trim().min(1, 'model is empty'),
				completion: text('completion must be text').refine((text) => text.trim() !== '', 'completion is empty'),
				params: z.preprocess(lines.withoutNulls, paramsSchema).optional()
			},
			'expected a JSON object'
		)
		.transform((row, ctx) => {
			if ([row.prompt_id, row.prompt, row.messages].filter((given) => given !== undefined).length !== 1)
				ctx.addIssue({ code: 'custom', message: 'give exactly one of "prompt_id", "prompt" or "messages"' });
			const { finish_reason: finishReason, ...params } = row.params ?? {};
			const messages = row.messages ?? [{ role: 'user' as const, content: row.prompt ?? '' }];
			return {
				promptRef: row.prompt_id ?? null,
				promptHash: row.prompt_id === undefined ? contentHash(messages) : null,
				model: row.model,
				text: row.completion,
				params,
				finishReason: finishReason ?? null
			};
		})
);

type PendingCandidate = z.infer<typeof candidateLineSchema> & { line: number; modelVersionId: string };

/** A line ready for its batch, or why it is bad. `models`: the persona's model versions by name. */
function pendingOf(record: lines.FileRecord, persona: PersonaSummary, models: Map<string, string>): PendingCandidate | string {
	if (record.kind === 'unreadable') return record.message;
	const parsed = candidateLineSchema.safeParse(record.kind === 'json' ? record.value : record.cells);
	if (!parsed.success) return lines.issuesText(parsed.error);
	const modelVersionId = models.get(parsed.data.model);
	if (!modelVersionId) {
		const known = [...models.keys()].map((name) => `"${name}"`).join(', ') || 'none yet';
		return `no model version "${parsed.data.model}" in persona "${persona.slug}" (it has: ${known})`;
	}
	return { ...parsed.data, line: record.line, modelVersionId };
}

/** The same reply to the same prompt from the same model; the text is hashed so keys stay small. */
const replyKey = (promptId: string, modelVersionId: string, text: string) =>
	`${promptId}|${modelVersionId}|${createHash('md5').update(text).digest('hex')}`;

/** Each line's prompt: by uuid first, then by the id the prompt was imported with, or by its conversation. */
async function resolvePrompts(tx: Tx, persona: PersonaSummary, batch: PendingCandidate[]): Promise<Array<string | undefined>> {
	const refs = batch.flatMap((c) => (c.promptRef === null ? [] : [c.promptRef]));
	const uuids = refs.filter((ref) => UUID.test(ref));
	const hashes = batch.flatMap((c) => (c.promptHash === null ? [] : [c.promptHash]));
	const found = await tx
		.select({ id: prompt.id, externalId: prompt.externalId, contentHash: prompt.contentHash })
		.from(prompt)
		.where(
			and(
				eq(prompt.personaId, persona.id),
				or(
					uuids.length ? inArray(prompt.id, uuids) : undefined,
					refs.length ? inArray(prompt.externalId, refs) : undefined,
					hashes.length ? inArray(prompt.contentHash, hashes) : undefined
				)
			)
		);
	const byId = new Map(found.map((p) => [p.id, p.id]));
	const byExternal = new Map(found.flatMap((p) => (p.externalId === null ? [] : [[p.externalId, p.id] as const])));
	const byHash = new Map(found.map((p) => [p.contentHash, p.id]));
	return batch.map((c) =>
		c.promptRef !== null ? (byId.get(c.promptRef.toLowerCase()) ?? byExternal.get(c.promptRef)) : byHash.get(c.promptHash!)
	);
}

type Fresh = Map<string, string[]>;

/** Inserts one batch; the database (earlier batches included) says which replies are there already. */
async function insertBatch(tx: Tx, persona: PersonaSummary, batch: PendingCandidate[], errors: lines.LineErrors, fresh: Fresh) {
	const promptIds = await resolvePrompts(tx, persona, batch);
	const resolved = batch.flatMap((c, i) => {
		const promptId = promptIds[i];
		if (promptId) return [{ ...c, promptId, key: replyKey(promptId, c.modelVersionId, c.text) }];
		const which = c.promptRef !== null ? `prompt_id "${c.promptRef}"` : 'no prompt has this conversation';
		errors.add(c.line, `no such prompt in persona "${persona.slug}" (${which})`);
		return [];
	});
	if (!resolved.length) return { imported: 0, duplicates: 0 };
	const existing = await tx
		.select({ key: sql<string>`${candidate.promptId}::text || '|' || ${candidate.modelVersionId}::text || '|' || md5(${candidate.text})` })
		.from(candidate)
		.where(and(inArray(candidate.promptId, [...new Set(resolved.map((c) => c.promptId))]), inArray(candidate.modelVersionId, [...new Set(resolved.map((c) => c.modelVersionId))])));
	const seen = new Set(existing.map((row) => row.key));
	const rows: typeof resolved = [];
	for (const reply of resolved) {
		if (seen.has(reply.key)) continue;
		seen.add(reply.key);
		rows.push(reply);
	}
	if (!rows.length) return { imported: 0, duplicates: resolved.length };
	const values = rows.map((c) => ({
		id: crypto.randomUUID(),
		promptId: c.promptId,
		modelVersionId: c.modelVersionId,
		text: c.text,
		params: c.params,
		finishReason: c.finishReason,
		source: 'imported' as const
	}));
	await tx.insert(candidate).values(values);
	// Only ids are kept for pairing (about 80 bytes a reply); texts are read back per chunk.
	for (const row of values) {
		const ids = fresh.get(row.promptId);
		if (ids) ids.push(row.id);
		else fresh.set(row.promptId, [row.id]);
	}
	return { imported: rows.length, duplicates: resolved.length - rows.length };
}

/** Pairs each prompt's new replies in file order; reads the texts back a chunk of prompts at a time. */
async function pairFresh(tx: Tx, persona: PersonaSummary, fresh: Fresh): Promise<{ pairs: number; nearIdentical: number }> {
	const counts = { pairs: 0, nearIdentical: 0 };
	const pairable = [...fresh].filter(([, ids]) => ids.length > 1);
	// Chunks of about 5,000 replies: few round trips, and far below PostgreSQL's 65,535 parameters.
	for (let start = 0; start < pairable.length; ) {
		const chunk: Array<[string, string[]]> = [];
		for (let replies = 0; start < pairable.length && replies < 10 * lines.BATCH_SIZE; start++) {
			chunk.push(pairable[start]!);
			replies += pairable[start]![1].length;
		}
		const ids = chunk.flatMap(([, candidateIds]) => candidateIds);
		const texts = new Map((await tx.select({ id: candidate.id, text: candidate.text }).from(candidate).where(inArray(candidate.id, ids))).map((c) => [c.id, c.text]));
		for (const [promptId, candidateIds] of chunk) {
			const candidates = candidateIds.map((id) => ({ id, text: texts.get(id)! }));
			const made = await makePairs(tx, { promptId, personaId: persona.id, overlap: persona.defaultOverlap, candidates });
			counts.pairs += made.created;
			counts.nearIdentical += made.nearIdentical;
		}
	}
	return counts;
}

export type CandidateImport = { persona: PersonaSummary; source: lines.ImportSource; fileName?: string };
export type CandidateImportSummary = lines.ImportSummary & { pairs: number; nearIdentical: number };

/** Every line checked in one transaction; committed only if all were good, pairs included. */
export async function importCandidates(db: Db, input: CandidateImport, actor: lines.Actor): Promise<CandidateImportSummary> {
	const { persona } = input;
	const errors = new lines.LineErrors();
	const counts = { lines: 0, imported: 0, duplicates: 0, pairs: 0, nearIdentical: 0 };
	const models = new Map(
		(await db.select({ id: modelVersion.id, name: modelVersion.name }).from(modelVersion).where(eq(modelVersion.personaId, persona.id))).map((m) => [m.name, m.id])
	);
	const committed = await lines.allOrNothing(db, errors, async (tx) => {
		const fresh: Fresh = new Map();
		let batch: PendingCandidate[] = [];
		const flush = async () => {
			const done = await insertBatch(tx, persona, batch, errors, fresh);
			counts.imported += done.imported;
			counts.duplicates += done.duplicates;
			batch = [];
		};
		for await (const record of lines.readJsonl(input.source)) {
			counts.lines++;
			const pending = pendingOf(record, persona, models);
			if (typeof pending === 'string') errors.add(record.line, pending);
			else if (batch.push(pending) >= lines.BATCH_SIZE) await flush();
		}
		await flush();
		// A refused import rolls back anyway: pairing is only worth doing for one that commits.
		if (errors.count === 0) Object.assign(counts, await pairFresh(tx, persona, fresh));
		await audit.record(tx, {
			actorId: actor.id,
			action: 'candidates.import',
			targetType: 'persona',
			targetId: persona.id,
			details: { persona: persona.slug, file: input.fileName ?? null, ...counts },
			ip: actor.ip ?? null
		});
		return true;
	});
	if (committed) return { ...counts, errors: [], moreErrors: 0 };
	return { lines: counts.lines, imported: 0, duplicates: 0, pairs: 0, nearIdentical: 0, ...errors.report() };
}
