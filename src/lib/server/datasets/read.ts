import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, streamRows, type Db } from '../db';
import type { ChatMessage } from '../db/schema';
import type { Message, PreferenceRow, PromptRow, RowFileKind, RowOf, SftRow, VoteRow } from './rows';
import type { Split } from './spec';

/**
 * Reads a frozen version back as TRL rows, a batch at a time: on PostgreSQL
 * from one server-side portal over the file's whole query; on PGlite (no
 * portals) by keyset steps over (version, kind, position), each file being one
 * contiguous range of the primary key. Memory is one batch either way.
 */

export const READ_BATCH = 2_000;

/** Stable across datasets and versions, and not reversible to an email: the annotator's id, hashed. */
export function annotatorPseudonym(userId: string): string {
	return `annotator-${createHash('sha256').update(`codelynn annotator ${userId}`).digest('hex').slice(0, 12)}`;
}

/** Role first, then content, as in the TRL contract rows; nothing else travels. */
function messagesOf(messages: ChatMessage[]): Message[] {
	return messages.map((m) => ({ role: m.role, content: m.content }));
}

const assistant = (content: string): Message[] => [{ role: 'assistant', content }];

type Batch<K extends RowFileKind> = { rows: RowOf<K>[]; last: number };

const selects: Record<RowFileKind, SQL> = {
	preference: sql`select r.position, p.messages, coalesce(rev.text, cc.text) as chosen, rc.text as rejected, r.margin
		from dataset_version_row r
		join prompt p on p.id = r.prompt_id
		join candidate rc on rc.id = r.rejected_candidate_id
		left join candidate cc on cc.id = r.chosen_candidate_id
		left join gold_revision rev on rev.id = r.gold_revision_id`,
	sft: sql`select r.position, p.messages, rev.text as reply
		from dataset_version_row r
		join prompt p on p.id = r.prompt_id
		join gold_revision rev on rev.id = r.gold_revision_id`,
	prompt: sql`select r.position, p.messages from dataset_version_row r join prompt p on p.id = r.prompt_id`,
	vote: sql`select r.position, r.split, j.id as judgment_id, j.pair_id, pa.prompt_id, p.domain, j.annotator_id, j.choice, j.strength,
			pa.candidate_a_id, pa.candidate_b_id, ma.name as model_a, mb.name as model_b,
			(j.left_candidate_id = pa.candidate_a_id) as a_on_left, j.duration_ms, j.created_at, r.known_answer
		from dataset_version_row r
		join judgment j on j.id = r.judgment_id
		join pair pa on pa.id = j.pair_id
		join prompt p on p.id = pa.prompt_id
		join candidate ca on ca.id = pa.candidate_a_id
		join candidate cb on cb.id = pa.candidate_b_id
		join model_version ma on ma.id = ca.model_version_id
		join model_version mb on mb.id = cb.model_version_id`
};

type Raw = Record<string, unknown> & { position: number; messages: ChatMessage[] };

function shape<K extends RowFileKind>(kind: K, raw: Raw, margins: boolean): RowOf<K> {
	switch (kind) {
		case 'preference': {
			const row: PreferenceRow = {
				prompt: messagesOf(raw.messages),
				chosen: assistant(String(raw.chosen)),
				rejected: assistant(String(raw.rejected))
			};
			if (margins) {
				if (raw.margin === null) throw new Error(`Preference row ${raw.position} has no margin although margins are on.`);
				row.margin = Number(raw.margin);
			}
			return row as RowOf<K>;
		}
		case 'sft':
			return { messages: [...messagesOf(raw.messages), ...assistant(String(raw.reply))] } satisfies SftRow as RowOf<K>;
		case 'prompt':
			return { prompt: messagesOf(raw.messages) } satisfies PromptRow as RowOf<K>;
		default:
			return voteOf(raw) as RowOf<K>;
	}
}

function voteOf(raw: Record<string, unknown>): VoteRow {
	const created = raw.created_at instanceof Date ? raw.created_at : new Date(String(raw.created_at));
	return {
		judgment_id: String(raw.judgment_id),
		pair_id: String(raw.pair_id),
		prompt_id: String(raw.prompt_id),
		domain: String(raw.domain),
		annotator: annotatorPseudonym(String(raw.annotator_id)),
		choice: raw.choice as VoteRow['choice'],
		strength: raw.strength === null ? null : Number(raw.strength),
		candidate_a_id: String(raw.candidate_a_id),
		candidate_b_id: String(raw.candidate_b_id),
		model_a: String(raw.model_a),
		model_b: String(raw.model_b),
		left: raw.a_on_left ? 'a' : 'b',
		duration_ms: raw.duration_ms === null ? null : Number(raw.duration_ms),
		split: raw.split as Split,
		created_at: created.toISOString(),
		// Frozen with the row: unmarking a check later never changes this file.
		check: raw.known_answer !== null,
		expected: (raw.known_answer ?? null) as VoteRow['expected']
	};
}

/** Every row of one file, in file order; `after` skips to a keyset position. Benchmarks COPY this same query. */
export function fileQuery(where: { versionId: string; kind: RowFileKind; split?: Split; after?: number }, limit?: number): SQL {
	const split = where.split ? sql`and r.split = ${where.split}` : sql``;
	const after = where.after === undefined ? sql`` : sql`and r.position > ${where.after}`;
	return sql`${selects[where.kind]}
		where r.dataset_version_id = ${where.versionId} and r.kind = ${where.kind} ${split} ${after}
		order by r.position ${limit === undefined ? sql`` : sql`limit ${limit}`}`;
}

async function readBatch<K extends RowFileKind>(
	db: Db,
	where: { versionId: string; kind: K; split?: Split; after: number; margins: boolean },
	limit: number
): Promise<Batch<K>> {
	const result = await db.execute(fileQuery(where, limit));
	const raws = rowsOf<Raw>(result);
	return {
		rows: raws.map((raw) => shape(where.kind, raw, where.margins)),
		last: raws.length ? Number(raws[raws.length - 1]!.position) : where.after
	};
}

/** The rows of one file, in batches; `split` omitted means the whole kind (votes.jsonl). */
export async function* readRows<K extends RowFileKind>(
	db: Db,
	input: { versionId: string; kind: K; split?: Split; margins: boolean; batchSize?: number }
): AsyncGenerator<RowOf<K>[]> {
	const limit = input.batchSize ?? READ_BATCH;
	const portal = streamRows<Raw>(db, fileQuery(input), limit);
	if (portal) {
		for await (const raws of portal) yield raws.map((raw) => shape(input.kind, raw, input.margins));
		return;
	}
	let after = -1;
	for (;;) {
		const batch = await readBatch(db, { ...input, after }, limit);
		if (batch.rows.length) yield batch.rows;
		if (batch.rows.length < limit) return;
		after = batch.last;
	}
}
