import { describe, expect, it } from 'vitest';
import { nearIdentical, similarity } from '../../src/lib/server/sampling/pairs';

describe('near-identical replies', () => {
	it('are the same words up to case, punctuation and spacing', () => {
		expect(nearIdentical('Hello there, how are you today?', 'hello there how are you today')).toBe(true);
		expect(similarity('a b c d', 'a b c d')).toBe(1);
	});

	it('are not replies that share a few words but say different things', () => {
		expect(nearIdentical('The answer is 42 because of the maths.', 'The answer is 7; I counted twice :>')).toBe(false);
	});

	it('include a long reply with one word changed', () => {
		const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
		expect(nearIdentical(long, long.replace('word30', 'other'))).toBe(true);
	});
});
