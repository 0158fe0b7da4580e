import { percent } from '../../../format';
import type { HeadToHead, VerdictOutcome } from '../types';

export type VerdictDecision = { outcome: VerdictOutcome; reason: string };

/**
 * The verdict on a candidate (`record.a`) against its baseline (`record.b`):
 * with fewer than `minVotes` votes it is not yet known; then "better" when
 * the win rate's 95 % interval lies wholly above 50 %, "worse" when wholly
 * below, otherwise not yet known. The reason says what to do next.
 */
export function decideVerdict(record: HeadToHead, minVotes: number): VerdictDecision {
	if (!Number.isInteger(minVotes) || minVotes < 1) throw new RangeError(`minVotes must be a whole number ≥ 1, not ${minVotes}`);
	const { a, b, votes, winRate, low, high } = record;
	if (votes < minVotes || winRate === null || low === null || high === null) {
		return {
			outcome: 'not_yet_known',
			reason: `${votes} of ${minVotes} votes so far between ${a.name} and ${b.name}: the verdict waits for ${minVotes - votes} more.`
		};
	}
	const observed = `${a.name} is preferred in ${percent(winRate, 0)} of ${votes} votes against ${b.name}; the 95 % interval is ${percent(low, 0)} – ${percent(high, 0)}`;
	if (low > 0.5) return { outcome: 'better', reason: `${observed}, wholly above 50 %.` };
	if (high < 0.5) return { outcome: 'worse', reason: `${observed}, wholly below 50 %: ${b.name} sounds more like the persona.` };
	return { outcome: 'not_yet_known', reason: `${observed}, which includes 50 %: ${settleWith(votes, winRate, low, high)}` };
}

/**
 * The interval narrows as 1/√votes, so if the rate holds, the votes that
 * would shrink its half-width to the rate's distance from 50 % are about
 * votes · (half-width / distance)².
 */
function settleWith(votes: number, winRate: number, low: number, high: number): string {
	const distance = Math.abs(winRate - 0.5);
	if (distance < 0.005) return 'the two are level so far; more votes narrow the interval, but a difference may be too small to matter.';
	const needed = Math.ceil(votes * ((high - low) / 2 / distance) ** 2);
	return `if the rate holds, about ${needed} votes in all would settle it.`;
}
