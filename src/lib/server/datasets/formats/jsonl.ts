/**
 * One JSONL line per dataset row, shaped as TRL reads it
 * (tests/contracts/trl_examples/preference_conversational_explicit.jsonl,
 * sft_conversational_messages.jsonl, prompt_only_conversational.jsonl).
 *
 * Every object is rebuilt key by key rather than serialised as handed in: rows come
 * from database records and spreads whose key order (and stray extra keys) would
 * otherwise leak into the file, and a version's files must hash the same every time.
 */
import type { Message, PreferenceRow, PromptRow, RowFileKind, RowOf, SftRow, VoteRow } from '../rows';

/** Any row of any file of a version. */
export type DatasetRow = RowOf<RowFileKind>;

/** The row as one line of JSON and its newline: keys in the contract's order, `margin` only when the row has one. */
export function jsonlLine(row: DatasetRow): string {
	return JSON.stringify(canonicalRow(row)) + '\n';
}

function canonicalRow(row: DatasetRow): DatasetRow {
	if ('judgment_id' in row) return canonicalVote(row);
	if ('messages' in row) return { messages: canonicalMessages(row.messages) } satisfies SftRow;
	if ('chosen' in row) return canonicalPreference(row);
	return { prompt: canonicalMessages(row.prompt) } satisfies PromptRow;
}

function canonicalPreference(row: PreferenceRow): PreferenceRow {
	const line: PreferenceRow = {
		prompt: canonicalMessages(row.prompt),
		chosen: canonicalMessages(row.chosen),
		rejected: canonicalMessages(row.rejected)
	};
	if (row.margin === undefined) return line;
	// JSON has no NaN or Infinity: JSON.stringify would quietly write null, which RewardTrainer cannot use.
	if (!Number.isFinite(row.margin)) throw new Error(`a preference row has margin ${row.margin}; margins must be finite numbers`);
	line.margin = row.margin;
	return line;
}

/** `role` before `content`, as in the contract files; nothing else a message object may carry. */
function canonicalMessages(messages: Message[]): Message[] {
	return messages.map(({ role, content }) => ({ role, content }));
}

/** In VoteRow's declared order; the Parquet vote columns follow the same order. */
function canonicalVote(row: VoteRow): VoteRow {
	return {
		judgment_id: row.judgment_id,
		pair_id: row.pair_id,
		prompt_id: row.prompt_id,
		domain: row.domain,
		annotator: row.annotator,
		choice: row.choice,
		strength: row.strength,
		candidate_a_id: row.candidate_a_id,
		candidate_b_id: row.candidate_b_id,
		model_a: row.model_a,
		model_b: row.model_b,
		left: row.left,
		duration_ms: row.duration_ms,
		split: row.split,
		created_at: row.created_at,
		check: row.check,
		expected: row.expected
	};
}
