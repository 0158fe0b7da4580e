// Shapes the ranking page and its endpoints share (browser-safe: no server imports).

/** One side as the annotator sees it. Model names stay hidden so they cannot sway the choice. */
export type ShownCandidate = { candidateId: string; html: string; prewritten: boolean; truncated: boolean };

export type PairView = {
	pairId: string;
	leftCandidateId: string;
	expiresAt: string;
	domain: string;
	messages: Array<{ role: string; html: string }>;
	left: ShownCandidate;
	right: ShownCandidate;
};

export type Preferred = 'left' | 'right' | 'tie' | 'both_off_persona';

/** Which reply was on the left is not sent: the server knows what it handed out. */
export type JudgmentPayload = {
	clientId: string;
	pairId: string;
	preferred: Preferred;
	strength: number | null;
	rationale?: string;
	durationMs?: number;
};

export type Progress = { today: number; total: number };

/** Llama 2's four levels: how much better the chosen reply is. */
export const strengths = [
	{ value: 1, label: 'negligibly' },
	{ value: 2, label: 'slightly' },
	{ value: 3, label: 'clearly' },
	{ value: 4, label: 'much' }
] as const;
