import type { Matchup } from './bradley-terry';
import type { PairGroup } from './ratings';
import type { PairVotes } from './win-rate';

/*
 * Synthetic votes with a known truth, for the specifications (test-only).
 * The generator is passed in (quality/stats/testing.ts's seededRandom), so
 * every run draws the same votes.
 */

/** Votes between two models, summed, from `first`'s side. */
export type MatchupVotes = Matchup & { wins: number; ties: number; losses: number };

/**
 * `votes` votes, each between two models drawn at random, under
 * Bradley–Terry with log-strengths `strengths`; a share `tieShare` of votes
 * are ties whatever the strengths.
 */
export function syntheticTournament(random: () => number, strengths: readonly number[], votes: number, tieShare = 0): MatchupVotes[] {
	const models = strengths.length;
	const matchups: MatchupVotes[] = [];
	for (let first = 0; first < models; first++) {
		for (let second = first + 1; second < models; second++) matchups.push({ first, second, wins: 0, ties: 0, losses: 0 });
	}
	for (let v = 0; v < votes; v++) {
		const matchup = matchups[Math.floor(random() * matchups.length)]!;
		const firstWins = 1 / (1 + Math.exp(strengths[matchup.second]! - strengths[matchup.first]!));
		if (random() < tieShare) matchup.ties++;
		else if (random() < firstWins) matchup.wins++;
		else matchup.losses++;
	}
	return matchups;
}

/** Votes summed per matchup as pairs of one vote each (overlap 1): the groups rateModels takes. */
export function oneVotePerPair(matchups: readonly MatchupVotes[]): PairGroup[] {
	return matchups.flatMap(({ first, second, wins, ties, losses }) => [
		{ first, second, wins: 1, ties: 0, losses: 0, pairs: wins },
		{ first, second, wins: 0, ties: 1, losses: 0, pairs: ties },
		{ first, second, wins: 0, ties: 0, losses: 1, pairs: losses }
	]);
}

/**
 * `pairs` pairs of `overlap` votes, each between two models drawn at random,
 * clustered: on a share `clustered` of pairs one reply is clearly better
 * (the first's with Bradley–Terry's probability) and every annotator says so;
 * on the others each annotator draws on their own. Either way a vote prefers
 * the first model with Bradley–Terry's probability, so the true ratings are
 * those of `strengths`.
 */
export function clusteredTournament(
	random: () => number,
	strengths: readonly number[],
	options: { pairs: number; overlap: number; clustered: number }
): PairGroup[] {
	const groups = new Map<string, PairGroup>();
	for (let p = 0; p < options.pairs; p++) {
		const first = Math.floor(random() * strengths.length);
		const second = (first + 1 + Math.floor(random() * (strengths.length - 1))) % strengths.length;
		const firstWins = 1 / (1 + Math.exp(strengths[second]! - strengths[first]!));
		const preference = random() < options.clustered ? (random() < firstWins ? 1 : 0) : firstWins;
		let wins = 0;
		for (let v = 0; v < options.overlap; v++) if (random() < preference) wins++;
		const key = `${first} ${second} ${wins}`;
		const group = groups.get(key) ?? { first, second, wins, ties: 0, losses: options.overlap - wins, pairs: 0 };
		group.pairs++;
		groups.set(key, group);
	}
	return [...groups.values()];
}

/**
 * Pairs of `overlap` votes on a candidate whose true win rate is `winRate`,
 * clustered: a share `clustered` of pairs has a clear winner that every
 * annotator sees (the candidate with probability `winRate`), the others are
 * a coin of bias `winRate` per vote. The mean win rate is `winRate` either way.
 */
export function syntheticPairs(random: () => number, pairs: number, options: { overlap: number; winRate: number; clustered: number }): PairVotes[] {
	return Array.from({ length: pairs }, () => {
		const clear = random() < options.clustered;
		const preference = clear ? (random() < options.winRate ? 1 : 0) : options.winRate;
		let wins = 0;
		for (let v = 0; v < options.overlap; v++) if (random() < preference) wins++;
		return { wins, ties: 0, losses: options.overlap - wins };
	});
}
