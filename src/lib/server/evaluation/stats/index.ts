/*
 * The statistics behind evaluation results: pure functions, no database.
 * Import as a namespace: `import * as stats from '$lib/server/evaluation/stats'`.
 * Definitions: docs/architecture.md, "Evaluation: ratings and verdicts".
 */
export { fitStrengths, PRIOR_TIES, TOLERANCE, type Fit, type Matchup } from './bradley-terry';
export { MEAN_RATING, POINTS_PER_DECADE, rateModels, toRatings, type ModelRating, type PairGroup } from './ratings';
export { reverseTally, tallyGroups, tallyPairs, winRate, type PairVotes, type WinRate, type WinTally } from './win-rate';
export { decideVerdict, type VerdictDecision } from './verdict';
