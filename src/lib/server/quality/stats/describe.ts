/*
 * Small descriptive statistics over plain arrays. Written here rather than
 * taken from a package: each is a few lines, and the definitions (which
 * quantile, what equality means in a run) are part of the documented metrics.
 */

/** The p-quantile of ascending values, interpolating linearly between order statistics (R's type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
	const position = (sorted.length - 1) * p;
	const below = Math.floor(position);
	const above = Math.min(below + 1, sorted.length - 1);
	const low = sorted[below]!;
	return low + (sorted[above]! - low) * (position - below);
}

/** The middle value (the mean of the two middle ones for an even count); null with no values. */
export function median(values: readonly number[]): number | null {
	if (values.length === 0) return null;
	return quantileSorted(Float64Array.from(values).sort(), 0.5);
}

/** The length of the longest stretch of consecutive equal answers (compared with Object.is); 0 for none. */
export function longestRun(answers: readonly unknown[]): number {
	let longest = 0;
	let current = 0;
	for (let i = 0; i < answers.length; i++) {
		current = i > 0 && Object.is(answers[i], answers[i - 1]) ? current + 1 : 1;
		longest = Math.max(longest, current);
	}
	return longest;
}
