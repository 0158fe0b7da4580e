import type { MatchupVotes } from './ratings';
import type { PairVotes } from './win-rate';

/*
 * Synthetic votes with a known truth, for the specifications (test-only).
 * The generator is passed in (quality/stats/testing.ts's seededRandom), so
 * every run draws the same votes.
 */

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
