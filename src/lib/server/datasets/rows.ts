/**
 * The rows a published dataset version is made of, shaped as TRL reads them
 * (tests/contracts/trl_examples/: conversational preference with an explicit
 * prompt, SFT `messages`, prompt-only). Keys are snake_case because they are
 * written to files as they are.
 */
import type { Split } from './spec';

export type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/** `margin` is present only when the dataset maps strength to margin. */
export type PreferenceRow = { prompt: Message[]; chosen: Message[]; rejected: Message[]; margin?: number };
export type SftRow = { messages: Message[] };
export type PromptRow = { prompt: Message[] };

/** One individual judgment, as annotators made it: never aggregated, never an email. */
export type VoteRow = {
	judgment_id: string;
	pair_id: string;
	prompt_id: string;
	domain: string;
	/** Stable across datasets and versions: the same person is always the same pseudonym. */
	annotator: string;
	choice: 'a' | 'b' | 'tie' | 'both_off_persona';
	/** 1–4 for a / b; null for tie and both_off_persona. */
	strength: number | null;
	candidate_a_id: string;
	candidate_b_id: string;
	model_a: string;
	model_b: string;
	/** Which candidate the annotator saw on the left: displayed order matters for position bias. */
	left: 'a' | 'b';
	duration_ms: number | null;
	split: Split;
	created_at: string;
	/**
	 * A gold check (a pair with a known answer): never a preference row, only
	 * reported here, with the answer a careful annotator gives.
	 */
	check: boolean;
	expected: 'a' | 'b' | 'tie' | 'both_off_persona' | null;
};

/** The files of a version, by what they hold. */
export type RowFileKind = 'preference' | 'sft' | 'prompt' | 'vote';
export type RowOf<K extends RowFileKind> = K extends 'preference'
	? PreferenceRow
	: K extends 'sft'
		? SftRow
		: K extends 'prompt'
			? PromptRow
			: VoteRow;
