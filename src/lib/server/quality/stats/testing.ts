/**
 * A seeded uniform generator for the statistics' specifications (mulberry32):
 * synthetic coders must be the same on every run, or a tolerance could pass
 * by luck. Test-only; the bootstrap itself draws from stdlib's generator.
 */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = Math.imul(state ^ (state >>> 15), state | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * `units` units of `coders` values each: a coder gives the unit's true value
 * with probability `accuracy`, else a random one (which may still be right).
 */
export function syntheticUnits(
	random: () => number,
	units: number,
	options: { coders: number; categories: number; accuracy: number }
): number[][] {
	const pick = (): number => Math.floor(random() * options.categories);
	return Array.from({ length: units }, () => {
		const truth = pick();
		return Array.from({ length: options.coders }, () => (random() < options.accuracy ? truth : pick()));
	});
}
