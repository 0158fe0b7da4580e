import { describe, expect, it } from 'vitest';
import { tallyUnits } from './tally';

describe('tallyUnits', () => {
	it('groups units holding the same values in any order, and leaves out single values', () => {
		const tally = tallyUnits([[1, -2, 1], [1, 1, -2], [-2, 1, 1], [3, 3], [5], []]);
		expect(Array.from(tally.values)).toEqual([-2, 1, 3]);
		expect(Array.from(tally.units)).toEqual([3, 1]);
		expect(Array.from(tally.sizes)).toEqual([3, 2]);
		// Kind 0 is {-2 once, 1 twice}; kind 1 is {3 twice}.
		expect(Array.from(tally.start)).toEqual([0, 2, 3]);
		expect(Array.from(tally.valueIndex)).toEqual([0, 1, 2]);
		expect(Array.from(tally.valueCount)).toEqual([1, 2, 2]);
	});

	it('keeps units of different lengths apart', () => {
		expect(Array.from(tallyUnits([[0, 0], [0, 0, 0]]).units)).toEqual([1, 1]);
	});

	it('counts a group of identical units given once with its count as that many units', () => {
		const grouped = tallyUnits([[1, 2], [2, 1], [3, 3], [4]], [5, 2, 0, 9]);
		expect(grouped).toEqual(tallyUnits([...Array(5).fill([1, 2]), ...Array(2).fill([2, 1]), [4]]));
		expect(Array.from(grouped.units)).toEqual([7]);
	});

	it('refuses counts that do not match the units', () => {
		expect(() => tallyUnits([[1, 2]], [1, 2])).toThrow(/2 entries for 1 units/);
		expect(() => tallyUnits([[1, 2], [1, 1]], [1, -1])).toThrow(/counts\[1\]/);
	});

	it('groups units too long for a numeric key just the same', () => {
		const long = Array.from({ length: 40 }, (_, i) => i % 9);
		expect(Array.from(tallyUnits([long, [...long].reverse()]).units)).toEqual([2]);
	});
});
