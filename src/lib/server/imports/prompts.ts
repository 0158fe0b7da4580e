/**
 * Prompt import: a file of conversations into one persona, all-or-nothing.
 *
 *   JSONL  one object a line: {"prompt": "…"} or {"messages": [{"role", "content"}, …]},
 *          optional "id" (the file's own id), "domain" (default chat), "tags" (list of strings)
 *   CSV    a header row; a `prompt` or `messages` (JSON text) column, optional `id`, `domain`,
 *          `tags` (separated by `;`)
 *
 * A conversation already in the persona (same content hash) is skipped and
 * counted, so importing a file twice adds nothing the second time.
 */
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { text } from '../text';
import * as audit from '../audit';
import type { Db, Tx } from '../db';
import { prompt, type ChatMessage } from '../db/schema';
import type { PersonaSummary } from '../personas/find';
import { contentHash } from '../prompts/hash';
import * as lines from './lines';

export const DOMAIN_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Imported prompts say so in `prompt.source`. */
export const IMPORT_SOURCE = 'import';

const nonBlank = (text: string) => text.trim() !== '';

const messageSchema = z.object(
	{
		role: z.enum(['system', 'user', 'assistant'], 'role must be "system", "user" or "assistant"'),
		content: text('content must be text').refine(nonBlank, 'content is empty')
	},
	'each turn must be an object {"role", "content"}'
);

/** A conversation up to the turn the model is to answer, so its last turn is the user's. */
export const conversationSchema = z
	.array(messageSchema, 'messages must be a list of {"role", "content"} turns')
	.min(1, 'messages is empty')
	.refine((turns) => turns.at(-1)?.role === 'user', 'the conversation must end with a user turn');

/** The id a row had where it came from: text, or a whole number read as text. */
export const externalIdSchema = z
	.union([text(), z.int()], 'id must be text or a whole number')
	.transform((id) => String(id).trim())
	.pipe(text().min(1, 'id is empty').max(200, 'id is longer than 200 characters'));

/** Exactly one of `prompt` (a single user turn) or `messages`; answers the conversation. */
export const promptOrMessages = {
	prompt: text('prompt must be text').refine(nonBlank, 'prompt is empty').optional(),
	messages: conversationSchema.optional()
};

export function conversationOf(row: { prompt?: string; messages?: ChatMessage[] }, ctx: z.RefinementCtx): ChatMessage[] {
	if (row.prompt !== undefined && row.messages !== undefined)
		ctx.addIssue({ code: 'custom', message: 'give "prompt" or "messages", not both' });
	else if (row.prompt === undefined && row.messages === undefined)
		ctx.addIssue({ code: 'custom', message: 'missing "prompt" (the text) or "messages" (a conversation)' });
	return row.messages ?? [{ role: 'user', content: row.prompt ?? '' }];
}

const promptLineSchema = z.preprocess(
	lines.withoutNulls,
	z
		.object(
			{
				...promptOrMessages,
				id: externalIdSchema.optional(),
				domain: text('domain must be text')
					.regex(DOMAIN_PATTERN, 'domain must be lower-case letters, digits, "_" or "-", starting with a letter (e.g. "coding")')
					.default('chat'),
				tags: z.array(text('each tag must be text').trim().min(1, 'a tag is empty'), 'tags must be a list of strings').default([])
			},
			'expected a JSON object'
		)
		.transform((row, ctx) => ({
			messages: conversationOf(row, ctx),
			domain: row.domain,
			tags: [...new Set(row.tags)],
			externalId: row.id ?? null
		}))
);

type PendingPrompt = z.infer<typeof promptLineSchema> & { line: number; contentHash: string };

const CSV_COLUMNS = ['prompt', 'messages', 'id', 'domain', 'tags'];

function checkCsvHeader(columns: string[]): string | null {
	if (columns.includes('prompt') || columns.includes('messages')) return null;
	return `the header row needs a "prompt" or a "messages" column (it has: ${columns.join(', ') || 'nothing'})`;
}

/** A CSV row in the JSONL shape: `messages` is JSON text, `tags` is `;`-separated. */
function fromCsv(cells: Record<string, string>): unknown {
	const row: Record<string, unknown> = {};
	for (const column of CSV_COLUMNS) if (cells[column] !== undefined) row[column] = cells[column];
	if (cells.messages !== undefined) {
		try {
			row.messages = JSON.parse(cells.messages);
		} catch (error) {
			throw new Error(`messages is not valid JSON (${(error as Error).message})`);
		}
	}
	if (cells.tags !== undefined) row.tags = cells.tags.split(';').map((tag) => tag.trim()).filter(Boolean);
	return row;
}

function pendingOf(record: lines.FileRecord): PendingPrompt | string {
	if (record.kind === 'unreadable') return record.message;
	let input: unknown;
	try {
		input = record.kind === 'json' ? record.value : fromCsv(record.cells);
	} catch (error) {
		return (error as Error).message;
	}
	const parsed = promptLineSchema.safeParse(input);
	if (!parsed.success) return lines.issuesText(parsed.error);
	return { ...parsed.data, line: record.line, contentHash: contentHash(parsed.data.messages) };
}

/**
 * Inserts one batch. The database is the memory of what the file held so far
 * (earlier batches are in the same transaction): a conversation it has is a
 * duplicate, an id it has on another conversation is a bad line.
 */
async function insertBatch(tx: Tx, persona: PersonaSummary, batch: PendingPrompt[], errors: lines.LineErrors) {
	// One INSERT cannot say which of two equal rows it skipped, so the batch is settled here first.
	const byHash = new Set<string>();
	const byId = new Map<string, number>();
	const rows: PendingPrompt[] = [];
	let duplicates = 0;
	for (const pending of batch) {
		const holder = pending.externalId === null ? undefined : byId.get(pending.externalId);
		if (byHash.has(pending.contentHash)) duplicates++;
		else if (holder) errors.add(pending.line, `id "${pending.externalId}" is already used on line ${holder} by a different prompt`);
		else {
			byHash.add(pending.contentHash);
			if (pending.externalId !== null) byId.set(pending.externalId, pending.line);
			rows.push(pending);
		}
	}
	if (!rows.length) return { imported: 0, duplicates };
	const inserted = await tx
		.insert(prompt)
		.values(rows.map((p) => ({ personaId: persona.id, messages: p.messages, domain: p.domain, tags: p.tags, externalId: p.externalId, contentHash: p.contentHash, source: IMPORT_SOURCE })))
		.onConflictDoNothing()
		.returning({ contentHash: prompt.contentHash });
	if (inserted.length === rows.length) return { imported: inserted.length, duplicates };

	const stored = new Set(inserted.map((row) => row.contentHash));
	const skipped = rows.filter((p) => !stored.has(p.contentHash));
	const ids = skipped.flatMap((p) => (p.externalId === null ? [] : [p.externalId]));
	const holders = await tx
		// now() is the transaction's start, so `created_at = now()` marks rows this import made.
		.select({ contentHash: prompt.contentHash, externalId: prompt.externalId, thisImport: sql<boolean>`${prompt.createdAt} = now()` })
		.from(prompt)
		.where(and(eq(prompt.personaId, persona.id), or(inArray(prompt.contentHash, skipped.map((p) => p.contentHash)), ids.length ? inArray(prompt.externalId, ids) : undefined)));
	const known = new Set(holders.map((row) => row.contentHash));
	for (const p of skipped) {
		const holder = holders.find((row) => row.externalId !== null && row.externalId === p.externalId);
		if (known.has(p.contentHash)) duplicates++;
		else if (holder?.thisImport) errors.add(p.line, `id "${p.externalId}" is already used earlier in this file by a different prompt`);
		else if (holder) errors.add(p.line, `id "${p.externalId}" already belongs to a different prompt in persona "${persona.slug}"`);
		else errors.add(p.line, 'the prompt was not stored and nothing explains why (a concurrent change?); import the file again');
	}
	return { imported: inserted.length, duplicates };
}

export type PromptImport = { persona: PersonaSummary; format: lines.ImportFormat; source: lines.ImportSource; fileName?: string };

function recordsOf(input: PromptImport): AsyncGenerator<lines.FileRecord> {
	return input.format === 'csv' ? lines.readCsv(input.source, checkCsvHeader) : lines.readJsonl(input.source);
}

/**
 * Reads the whole file inside one transaction, inserting as it goes; commits
 * only if every line was good. Refused: `errors` names the bad lines and
 * nothing was written.
 */
export async function importPrompts(db: Db, input: PromptImport, actor: lines.Actor): Promise<lines.ImportSummary> {
	const errors = new lines.LineErrors();
	const counts = { lines: 0, imported: 0, duplicates: 0 };
	const committed = await lines.allOrNothing(db, errors, async (tx) => {
		let batch: PendingPrompt[] = [];
		const flush = async () => {
			const done = await insertBatch(tx, input.persona, batch, errors);
			counts.imported += done.imported;
			counts.duplicates += done.duplicates;
			batch = [];
		};
		for await (const record of recordsOf(input)) {
			counts.lines++;
			const pending = pendingOf(record);
			if (typeof pending === 'string') errors.add(record.line, pending);
			else if (batch.push(pending) >= lines.BATCH_SIZE) await flush();
		}
		await flush();
		await audit.record(tx, {
			actorId: actor.id,
			action: 'prompts.import',
			targetType: 'persona',
			targetId: input.persona.id,
			details: { persona: input.persona.slug, format: input.format, file: input.fileName ?? null, ...counts },
			ip: actor.ip ?? null
		});
		return true;
	});
	if (committed) return { ...counts, errors: [], moreErrors: 0 };
	return { lines: counts.lines, imported: 0, duplicates: 0, ...errors.report() };
}
