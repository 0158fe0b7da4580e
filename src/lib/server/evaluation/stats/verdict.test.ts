import { describe, expect, it } from 'vitest';
import type { HeadToHead, ModelRef } from '../types';
import { decideVerdict } from './verdict';

const model = (name: string, status: ModelRef['status']): ModelRef => ({ id: name, name, status, createdAt: new Date('2026-12-01') });
const record = (votes: number, winRate: number, low: number, high: number): HeadToHead => ({
	a: model('policy-v8', 'candidate'),
	b: model('policy-v7', 'current'),
	wins: Math.round(votes * winRate),
	ties: 0,
	losses: votes - Math.round(votes * winRate),
	votes,
	winRate,
	low,
	high
});

describe('decideVerdict', () => {
	it('waits for the minimum number of votes, saying how many are in', () => {
		const verdict = decideVerdict(record(12, 0.9, 0.62, 0.98), 100);
		expect(verdict.outcome).toBe('not_yet_known');
		expect(verdict.reason).toContain('12 of 100 votes so far');
		expect(decideVerdict(record(99, 0.9, 0.82, 0.95), 100).outcome).toBe('not_yet_known');
		expect(decideVerdict(record(100, 0.9, 0.82, 0.95), 100).outcome).toBe('better');
	});

	it('is better only when the lower bound is above 50 %, not at it', () => {
		expect(decideVerdict(record(200, 0.58, 0.5001, 0.65), 100)).toMatchObject({ outcome: 'better', reason: expect.stringContaining('above 50 %') });
		expect(decideVerdict(record(200, 0.57, 0.5, 0.64), 100).outcome).toBe('not_yet_known');
	});

	it('is worse only when the upper bound is below 50 %, not at it', () => {
		expect(decideVerdict(record(200, 0.42, 0.35, 0.4999), 100)).toMatchObject({ outcome: 'worse', reason: expect.stringContaining('policy-v7 sounds more like') });
		expect(decideVerdict(record(200, 0.43, 0.36, 0.5), 100).outcome).toBe('not_yet_known');
	});

	it('says, when the interval includes 50 %, about how many votes would settle it', () => {
		// Half-width 0.07 at a distance of 0.05 from 50 %: about 200 · (0.07 / 0.05)² = 392 votes.
		const verdict = decideVerdict(record(200, 0.55, 0.48, 0.62), 100);
		expect(verdict.outcome).toBe('not_yet_known');
		expect(verdict.reason).toContain('about 392 votes in all');
		expect(decideVerdict(record(400, 0.5, 0.45, 0.55), 100).reason).toContain('level so far');
	});

	it('refuses a minimum that is not a whole number of votes', () => {
		expect(() => decideVerdict(record(10, 0.5, 0.2, 0.8), 0)).toThrow(/minVotes/);
	});
});
