import * as stats from '../../src/lib/server/quality/stats';
import { seededRandom } from '../../src/lib/server/quality/stats/testing';

/**
 * The agreement statistics at the size the snapshot job meets: BENCH_UNITS
 * pairs (default 350,000: a million judgments at overlap 3), each α and raw
 * agreement with a BENCH_REPLICATES-resample bootstrap interval (default 1,000).
 *
 * Baselines from the same run: one pass that only reads every value (the
 * floor any computation over the judgments pays), and the textbook bootstrap
 * that resamples the units themselves and computes α from each resample,
 * timed over a few replicates and scaled to the same count.
 *
 *   npx tsx scripts/bench/quality-stats.ts
 */
const unitCount = Number(process.env.BENCH_UNITS ?? 350_000);
const replicates = Number(process.env.BENCH_REPLICATES ?? 1000);
const naiveReplicates = 5;

/** Three annotators per pair; each gives the pair's "true" strength 70 % of the time; 5 % off-persona votes. */
function syntheticJudgments(): { nominal: number[][]; ordinal: number[][] } {
	const random = seededRandom(12);
	const strength = () => Math.floor(random() * 9) - 4;
	const nominal: number[][] = [];
	const ordinal: number[][] = [];
	for (let u = 0; u < unitCount; u++) {
		const truth = strength();
		const votes = [0, 1, 2].map(() => (random() < 0.05 ? null : random() < 0.7 ? truth : strength()));
		// nominal codes: 0 a, 1 b, 2 tie, 3 off; off-persona is missing on the strength scale
		nominal.push(votes.map((vote) => (vote === null ? 3 : vote < 0 ? 0 : vote > 0 ? 1 : 2)));
		ordinal.push(votes.filter((vote): vote is number => vote !== null));
	}
	return { nominal, ordinal };
}

/** The median of three timed runs, in milliseconds. */
function time(run: () => unknown): number {
	const runs = [0, 1, 2].map(() => {
		const started = performance.now();
		run();
		return performance.now() - started;
	});
	return stats.median(runs)!;
}

function readEveryValue(units: number[][]): number {
	let sum = 0;
	for (const unit of units) for (const value of unit) sum += value;
	return sum;
}

/** The textbook way: draw N units with replacement and compute α from them, per replicate. */
function naiveBootstrap(units: number[][], level: stats.AlphaLevel, count: number): void {
	const random = seededRandom(3);
	for (let r = 0; r < count; r++) {
		const resample = Array.from(units, () => units[Math.floor(random() * units.length)]!);
		stats.alpha(resample, level);
	}
}

const { nominal, ordinal } = syntheticJudgments();
const options = { replicates };
const rows: [string, number][] = [
	['baseline: read every value once', time(() => readEveryValue(ordinal))],
	[
		`baseline: textbook bootstrap, α ordinal (${naiveReplicates} replicates, scaled to ${replicates})`,
		time(() => naiveBootstrap(ordinal, 'ordinal', naiveReplicates)) * (replicates / naiveReplicates)
	],
	['α nominal, point estimate', time(() => stats.alpha(nominal, 'nominal'))],
	['α ordinal, point estimate', time(() => stats.alpha(ordinal, 'ordinal'))],
	[`α nominal + ${replicates}-replicate interval`, time(() => stats.alphaWithInterval(nominal, 'nominal', options))],
	[`α ordinal + ${replicates}-replicate interval`, time(() => stats.alphaWithInterval(ordinal, 'ordinal', options))],
	[`raw agreement + ${replicates}-replicate interval`, time(() => stats.rawAgreement(nominal, options))]
];
console.log(`\nquality statistics over ${unitCount.toLocaleString('en')} pairs of 3 votes; node ${process.version}, median of 3 runs`);
for (const [what, ms] of rows) console.log(`${what.padEnd(76)} ${Math.round(ms).toLocaleString('en').padStart(9)} ms`);
console.log('\nfigures:', JSON.stringify(stats.alphaWithInterval(ordinal, 'ordinal', options)));
