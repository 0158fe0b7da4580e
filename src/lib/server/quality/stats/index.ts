/*
 * The statistics behind the quality figures: pure functions, no database.
 * Import as a namespace: `import * as stats from '$lib/server/quality/stats'`.
 * Definitions: docs/architecture.md, "Quality: metrics and flags".
 */
export { alpha, alphaWithInterval, type AlphaLevel } from './alpha';
export { rawAgreement } from './agreement';
export { flagAnnotator, type AnnotatorFigures, type CrowdRates } from './flags';
export { bootstrapInterval, bootstrapIntervals, DEFAULT_REPLICATES, DEFAULT_SEED, type BootstrapOptions, type Interval } from './bootstrap';
export { longestRun, median, quantileSorted } from './describe';
export { majorityOf, type Majority } from './majority';
export { wilson, wilsonOfShare, binomialTest } from './proportion';
export { asTally, tallyUnits, type Units, type UnitTally, type UnitValues } from './tally';
