import { wilsonOfShare } from '../../quality/stats';

/** Votes on one pair (the same two replies), from the first model's side. */
export type PairVotes = { wins: number; ties: number; losses: number };

/**
 * Votes between two models summed over the pairs they were cast on, with the
 * three sums the clustered interval needs; a pair's half-score is
 * 2 · wins + ties (a whole number, so SQL can sum it exactly).
 */
export type WinTally = {
	wins: number;
	ties: number;
	losses: number;
	pairs: number;
	/** Σ over pairs of half-score², half-score · votes, and votes². */
	halfScoreSquares: number;
	halfScoreVotes: number;
	voteSquares: number;
};

export type WinRate = { winRate: number | null; low: number | null; high: number | null; effectiveVotes: number };

/** The tally of pairs given one by one. */
export function tallyPairs(pairs: readonly PairVotes[]): WinTally {
	return tallyGroups(pairs.map((pair) => ({ ...pair, pairs: 1 })));
}

/** The tally of pairs grouped by their votes: `pairs` pairs with these wins, ties and losses each (what SQL returns). */
export function tallyGroups(groups: readonly (PairVotes & { pairs: number })[]): WinTally {
	const tally: WinTally = { wins: 0, ties: 0, losses: 0, pairs: 0, halfScoreSquares: 0, halfScoreVotes: 0, voteSquares: 0 };
	for (const { wins, ties, losses, pairs } of groups) {
		const votes = wins + ties + losses;
		if (votes === 0) continue;
		const halfScore = 2 * wins + ties;
		tally.wins += pairs * wins;
		tally.ties += pairs * ties;
		tally.losses += pairs * losses;
		tally.pairs += pairs;
		tally.halfScoreSquares += pairs * halfScore * halfScore;
		tally.halfScoreVotes += pairs * halfScore * votes;
		tally.voteSquares += pairs * votes * votes;
	}
	return tally;
}

/**
 * The win rate (wins + ties / 2) / votes with a 95 % interval that is honest
 * about clustering: votes on one pair judge the same two replies, so at
 * overlap 3 they are not three independent looks. The interval is Wilson's
 * over an effective number of votes, votes / design effect (Kish), the
 * design effect being the ratio of the pair-clustered variance of the win
 * rate (the linearised ratio estimator) to the binomial one, kept between 1
 * and its largest possible value Σ votes² / votes (votes on a pair all
 * alike). With one vote per pair that is Wilson's interval on the votes;
 * when the spread cannot be estimated (one pair, or every vote alike) the
 * largest design effect is assumed.
 */
export function winRate(tally: WinTally, confidence = 0.95): WinRate {
	checkTally(tally);
	const votes = tally.wins + tally.ties + tally.losses;
	if (votes === 0) return { winRate: null, low: null, high: null, effectiveVotes: 0 };
	const share = (tally.wins + tally.ties / 2) / votes;
	const effectiveVotes = votes / designEffect(tally, share, votes);
	const { low, high } = wilsonOfShare(share, effectiveVotes, confidence);
	return { winRate: share, low, high, effectiveVotes };
}

function designEffect(tally: WinTally, share: number, votes: number): number {
	const largest = tally.voteSquares / votes;
	const binomial = (share * (1 - share)) / votes;
	if (tally.pairs < 2 || binomial === 0) return largest;
	// Σ (score − share · votes)² over pairs, from the sums (score = half-score / 2).
	const squares = tally.halfScoreSquares / 4 - share * tally.halfScoreVotes + share * share * tally.voteSquares;
	const clustered = ((tally.pairs / (tally.pairs - 1)) * Math.max(0, squares)) / (votes * votes);
	return Math.min(largest, Math.max(1, clustered / binomial));
}

function checkTally(tally: WinTally): void {
	for (const [field, value] of Object.entries(tally)) {
		if (!Number.isInteger(value) || value < 0) throw new RangeError(`${field} must be a whole number ≥ 0, not ${value}`);
	}
	const votes = tally.wins + tally.ties + tally.losses;
	if (votes > 0 && tally.pairs === 0) throw new RangeError(`${votes} votes need at least one pair`);
}

/** The same votes from the other model's side: wins and losses trade places, and each half-score h becomes 2 · votes − h. */
export function reverseTally(tally: WinTally): WinTally {
	return {
		wins: tally.losses,
		ties: tally.ties,
		losses: tally.wins,
		pairs: tally.pairs,
		halfScoreSquares: 4 * tally.voteSquares - 4 * tally.halfScoreVotes + tally.halfScoreSquares,
		halfScoreVotes: 2 * tally.voteSquares - tally.halfScoreVotes,
		voteSquares: tally.voteSquares
	};
}
