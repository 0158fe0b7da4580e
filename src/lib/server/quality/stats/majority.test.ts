import { describe, expect, it } from 'vitest';
import { majorityOf } from './majority';

describe('a pair’s majority', () => {
	it('is the most frequent answer, with the share of votes agreeing with it', () => {
		expect(majorityOf(['a', 'b', 'a'])).toEqual({ votes: 3, majority: 'a', agreeing: 2, share: 2 / 3 });
		expect(majorityOf(['tie', 'tie', 'tie', 'b'])).toEqual({ votes: 4, majority: 'tie', agreeing: 3, share: 0.75 });
	});

	it('is a plurality: the one answer ahead of each other, even short of half', () => {
		expect(majorityOf(['a', 'a', 'b', 'tie', 'both_off_persona'])).toEqual({ votes: 5, majority: 'a', agreeing: 2, share: 0.4 });
	});

	it('is none when two answers lead together, or nobody voted', () => {
		expect(majorityOf(['a', 'b'])).toEqual({ votes: 2, majority: null, agreeing: 0, share: null });
		expect(majorityOf(['a', 'b', 'b', 'a', 'tie'])).toMatchObject({ majority: null, share: null });
		expect(majorityOf([])).toEqual({ votes: 0, majority: null, agreeing: 0, share: null });
	});

	it('is the single vote of a pair judged once', () => {
		expect(majorityOf(['b'])).toEqual({ votes: 1, majority: 'b', agreeing: 1, share: 1 });
	});
});
