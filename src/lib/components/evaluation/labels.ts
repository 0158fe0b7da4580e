// How evaluation results read on the admin pages: outcome words and badge
// tones by meaning (better green, worse red, not yet known grey), ratings and
// records as one phrase each. Pure, so every evaluation component agrees.
import type { HeadToHead, ModelRef, VerdictOutcome } from '$lib/server/evaluation/types';
import { interval, percent } from '$lib/format';

export const outcomeLabels: Record<VerdictOutcome, string> = { better: 'better', worse: 'worse', not_yet_known: 'not yet known' };

export const outcomeTones: Record<VerdictOutcome, 'good' | 'bad' | 'off'> = { better: 'good', worse: 'bad', not_yet_known: 'off' };

/** A model's status badge: current stands out, retired is greyed. */
export function statusTone(status: ModelRef['status']): 'off' | null {
	return status === 'retired' ? 'off' : null;
}

/** "1,012 ± [987, 1,040]" → "1012 [987, 1040]": ratings are whole Elo-like points. */
export function rating(value: number | null | undefined): string {
	return value === null || value === undefined ? '—' : Math.round(value).toString();
}

/** "12 W · 3 T · 9 L": votes from the first model's side. */
export function record(h: Pick<HeadToHead, 'wins' | 'ties' | 'losses'>): string {
	return `${h.wins} W · ${h.ties} T · ${h.losses} L`;
}

/** "56.3 % [48.1 %, 64.2 %]", or "no votes". */
export function winRate(h: Pick<HeadToHead, 'winRate' | 'low' | 'high'>): string {
	return h.winRate === null ? 'no votes' : `${percent(h.winRate)} ${interval(h.low, h.high, (v) => percent(v))}`;
}

/** The same votes from the other model's side: wins and losses swap, the interval mirrors. */
export function reversed(h: HeadToHead): HeadToHead {
	const mirror = (v: number | null) => (v === null ? null : 1 - v);
	return { a: h.b, b: h.a, wins: h.losses, ties: h.ties, losses: h.wins, votes: h.votes, winRate: mirror(h.winRate), low: mirror(h.high), high: mirror(h.low) };
}
