import { createHash } from 'node:crypto';
import { seededRandom } from './random';

// Reply texts for the test model server: a pure function of (question, temperature, seed),
// so a spec can predict them, and different enough between seeds that pairing does not
// drop them as near-identical (sampling/pairs.ts compares word trigrams).

const OPENERS = [
	'In short,', 'Put simply,', 'Broadly speaking,', 'To be precise,', 'At its core,', 'Honestly,',
	'First of all,', 'Roughly,'
];
const SUBJECTS = [
	'the penalty', 'the reference policy', 'the reward model', 'each update', 'the optimiser', 'a careful run',
	'the baseline', 'the sampler', 'this trade-off', 'the clipped objective'
];
const VERBS = [
	'keeps', 'pulls', 'limits', 'nudges', 'anchors', 'balances', 'shapes', 'slows', 'guides', 'steadies'
];
const OBJECTS = [
	'the new policy', 'every gradient step', 'the learned behaviour', 'exploration', 'the token distribution',
	'long replies', 'reward hacking', 'the value estimate', 'drift from the start', 'rare answers'
];
const ENDINGS = [
	'near its origin', 'without stalling learning', 'when rewards get noisy', 'over many epochs',
	'in a measurable way', 'at modest cost', 'for most prompts', 'once training settles',
	'unlike plain fine-tuning', 'as the batch grows'
];
const CLOSERS = [
	'That is the whole idea.', 'Tune it with care.', 'Watch the KL curve.', 'Start small and measure.',
	'It rarely needs more.', 'Logs will tell you.'
];

/** The same key gives the same replies. */
function generator(key: string): () => number {
	return seededRandom(createHash('sha256').update(key).digest().readUInt32LE(0));
}

/**
 * Several sentences answering `question`; the same arguments give the same
 * text. Without temperature and seed (the `identical` mode) every call for the
 * question gives one text.
 */
export function replyText(question: string, temperature?: number, seed?: number): string {
	const next = generator(`${question}\u0000${temperature ?? '-'}\u0000${seed ?? '-'}`);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
	const topic = question.split(/\s+/).slice(0, 6).join(' ');
	// Hotter samples ramble on a little longer, as they do.
	const count = 3 + Math.round((temperature ?? 0) * 1.5) + Math.floor(next() * 2);
	const sentences = [`Regarding "${topic}": ${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(ENDINGS)}.`];
	for (let i = 1; i < count; i++) {
		sentences.push(`${pick(OPENERS)} ${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(ENDINGS)}.`);
	}
	sentences.push(pick(CLOSERS));
	return sentences.join(' ');
}
