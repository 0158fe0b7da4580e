/**
 * What evaluation pages, the verdict and the loop read: the shapes the
 * results (results.ts) and rounds (rounds.ts) modules return. Pure types, so
 * components can import them without pulling server code.
 */

export type ModelRef = { id: string; name: string; status: 'candidate' | 'current' | 'retired'; createdAt: Date };

/**
 * Votes between two models, from `a`'s side: `wins` are votes for a's reply,
 * `losses` votes for b's, `ties` tie and both-off-persona votes. The win rate
 * counts a tie as half a win: (wins + ties / 2) / votes.
 */
export type HeadToHead = {
	a: ModelRef;
	b: ModelRef;
	wins: number;
	ties: number;
	losses: number;
	votes: number;
	winRate: number | null;
	/** 95 % interval of the win rate (null with no votes). */
	low: number | null;
	high: number | null;
};

/** A model's Bradley–Terry rating on the Elo-like scale, with its bootstrap 95 % interval. */
export type Rating = ModelRef & {
	rating: number;
	low: number;
	high: number;
	/** Evaluation votes this model took part in. */
	votes: number;
	/** 1 = best; models whose intervals overlap may share a rank (Arena's rule). */
	rank: number;
	/** The connected part of the comparison graph (0, 1, …): ratings in different parts are not comparable. */
	group: number;
};

export type Leaderboard = {
	ratings: Rating[];
	/** Every pair of evaluated models with votes between them, each once, from the better-rated side. */
	matrix: HeadToHead[];
	votes: number;
	/** Bootstrap replicates behind the intervals. */
	replicates: number;
	/**
	 * Connected parts of the comparison graph (models linked by votes). With
	 * more than one, each part is centred on 1000 by the prior alone, so a
	 * rating compares only with ratings of its own part.
	 */
	groups: number;
};

export const verdictOutcomes = ['better', 'worse', 'not_yet_known'] as const;
export type VerdictOutcome = (typeof verdictOutcomes)[number];

/** Whether a candidate sounds more like the persona than the model it would replace, under the persona's policy. */
export type Verdict = {
	outcome: VerdictOutcome;
	candidate: ModelRef;
	/** The model it is measured against (the persona's current model); null when there is none to compare with. */
	baseline: ModelRef | null;
	record: HeadToHead | null;
	minVotes: number;
	/** One sentence a person can act on: why this outcome. */
	reason: string;
};

export type RoundSummary = {
	id: string;
	personaId: string;
	number: number;
	source: 'admin' | 'chain' | 'arena';
	candidate: ModelRef | null;
	baseline: ModelRef | null;
	models: ModelRef[];
	promptSource: 'test_split' | 'prompts' | 'arena';
	/** The dataset version whose test split the prompts came from. */
	datasetVersion: { id: string; version: number; datasetName: string; datasetId: string } | null;
	promptsRequested: number;
	/** Prompts drawn: fewer than requested when the test split held fewer. */
	prompts: number;
	priority: number;
	overlap: number;
	temperature: number | null;
	samplingJob: { id: string; status: string } | null;
	pairs: number;
	votes: number;
	createdAt: Date;
	/** Who started it (display name); null for the training chain, or an account since deleted. */
	createdBy: string | null;
	closedAt: Date | null;
};

export type RoundResults = {
	round: RoundSummary;
	headToHead: HeadToHead[];
	byDomain: Array<{ domain: string; headToHead: HeadToHead[] }>;
};
