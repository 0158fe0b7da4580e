import type { DbOrTx } from '../db';
import { pair } from '../db/schema';

/**
 * Two replies that say the same thing teach the reward model nothing and
 * waste an annotator's time. "The same" is measured on word trigrams (case,
 * punctuation and spacing ignored): a Jaccard similarity of 0.9 or more.
 */
export const NEAR_IDENTICAL = 0.9;

function shingles(text: string): Set<string> {
	const words = text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim().split(' ').filter(Boolean);
	if (words.length < 3) return new Set([words.join(' ')]);
	const set = new Set<string>();
	for (let i = 0; i + 3 <= words.length; i++) set.add(words.slice(i, i + 3).join(' '));
	return set;
}

export function similarity(a: string, b: string): number {
	const x = shingles(a);
	const y = shingles(b);
	let shared = 0;
	for (const s of x) if (y.has(s)) shared++;
	const union = x.size + y.size - shared;
	return union === 0 ? 1 : shared / union;
}

export function nearIdentical(a: string, b: string): boolean {
	return similarity(a, b) >= NEAR_IDENTICAL;
}

export type PairSource = {
	promptId: string;
	personaId: string;
	overlap: number;
	/** Higher is handed out first (fresh samples of the current model before older pairs, say). */
	priority?: number;
	candidates: Array<{ id: string; text: string }>;
	/** The replies are an evaluation round's: every two of them make a pair of the round. */
	evaluationRoundId?: string | null;
};

/**
 * Training pairs take the replies two by two (each reply in one pair) and drop
 * near-identical ones. A round pairs every two replies (k models, k(k−1)/2
 * pairs per prompt), since each pairing of models is what it measures, and
 * keeps near-identical ones: two models that say the same thing are a tie in
 * an evaluation, not noise, and dropping them would inflate the difference.
 */
function pairings(source: PairSource): Array<[PairSource['candidates'][number], PairSource['candidates'][number]]> {
	const { candidates } = source;
	if (source.evaluationRoundId) return candidates.flatMap((a, i) => candidates.slice(i + 1).map((b) => [a, b] as [typeof a, typeof b]));
	const twoByTwo: Array<[(typeof candidates)[number], (typeof candidates)[number]]> = [];
	for (let i = 0; i + 1 < candidates.length; i += 2) twoByTwo.push([candidates[i]!, candidates[i + 1]!]);
	return twoByTwo;
}

/** Pairs a prompt's new replies (see `pairings`). Safe to repeat: a pair that exists already is not made twice. */
export async function makePairs(db: DbOrTx, source: PairSource): Promise<{ created: number; nearIdentical: number }> {
	const rows: Array<typeof pair.$inferInsert> = [];
	let dropped = 0;
	for (const [a, b] of pairings(source)) {
		if (!source.evaluationRoundId && nearIdentical(a.text, b.text)) {
			dropped++;
			continue;
		}
		rows.push({
			promptId: source.promptId,
			personaId: source.personaId,
			candidateAId: a.id,
			candidateBId: b.id,
			overlap: source.overlap,
			priority: source.priority ?? 0,
			evaluationRoundId: source.evaluationRoundId ?? null
		});
	}
	const created = rows.length ? await db.insert(pair).values(rows).onConflictDoNothing().returning({ id: pair.id }) : [];
	return { created: created.length, nearIdentical: dropped };
}
