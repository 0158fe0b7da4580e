import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../src/lib/server/db';
import { pair, type Choice } from '../../src/lib/server/db/schema';
import * as queue from '../../src/lib/server/queue';
import { seededRandom } from './random';

/** The behaviours the quality specs tell apart. */
export type Behaviour = 'left' | 'random' | 'fast' | 'careful';
/** `truthful` is for specs that draw the truth themselves, at a known rate (evaluation rounds). */
export type SyntheticAnnotator = { id: string; behaviour: Behaviour | 'truthful' };

const answers: Choice[] = ['a', 'b', 'tie', 'both_off_persona'];

/**
 * What an annotator of a behaviour answers, given the pair's hidden truth:
 * `left` always the reply on the left; `random` any of the four; `fast` and
 * `careful` the truth 85 % of the time, else one of the other three;
 * `truthful` always the truth.
 */
function answerOf(behaviour: SyntheticAnnotator['behaviour'], truth: Choice, random: () => number): Choice | 'left' {
	if (behaviour === 'left') return 'left';
	if (behaviour === 'truthful') return truth;
	if (behaviour === 'random') return answers[Math.floor(random() * 4)]!;
	if (random() < 0.85) return truth;
	const others = answers.filter((a) => a !== truth);
	return others[Math.floor(random() * 3)]!;
}

function durationOf(behaviour: SyntheticAnnotator['behaviour'], random: () => number): number {
	return behaviour === 'fast' ? 500 : Math.round(20_000 + random() * 20_000);
}

/**
 * Runs the annotators through the real queue (pairsInHand, submitAndNext),
 * taking turns in a shuffled order, `rounds` submissions each. `truthOf` gives a pair's hidden
 * truth (a check's is its known answer).
 */
export async function annotate(
	db: Db,
	personaId: string,
	crowd: readonly SyntheticAnnotator[],
	options: { rounds: number; checkEvery: number; truthOf: (pairId: string) => Choice; seed: number }
): Promise<void> {
	const random = seededRandom(options.seed);
	const settings = { leaseMinutes: 20, checkEvery: options.checkEvery };
	const candidatesA = new Map(
		(await db.select({ id: pair.id, a: pair.candidateAId }).from(pair).where(eq(pair.personaId, personaId))).map((p) => [p.id, p.a])
	);
	const hands = new Map<string, queue.PairView[]>();
	for (const annotator of crowd) hands.set(annotator.id, await queue.pairsInHand(db, annotator.id, personaId, settings));
	for (let round = 0; round < options.rounds; round++) {
		// a new turn order each round, so who shares a pair with whom is mixed as in a real crowd
		const turns = crowd.map((annotator) => ({ annotator, key: random() })).sort((x, y) => x.key - y.key);
		for (const { annotator } of turns) {
			const front = hands.get(annotator.id)![0];
			if (!front) continue;
			const answer = answerOf(annotator.behaviour, options.truthOf(front.pairId), random);
			const aOnLeft = front.left.candidateId === candidatesA.get(front.pairId);
			const preferred = answer === 'left' ? 'left' : answer === 'a' ? (aOnLeft ? 'left' : 'right') : answer === 'b' ? (aOnLeft ? 'right' : 'left') : answer;
			const sided = preferred === 'left' || preferred === 'right';
			const input = {
				clientId: crypto.randomUUID(),
				pairId: front.pairId,
				preferred,
				strength: sided ? 1 + Math.floor(random() * 4) : null,
				durationMs: durationOf(annotator.behaviour, random)
			} as const;
			const { pairs } = await queue.submitAndNext(db, annotator.id, personaId, input, settings);
			hands.set(annotator.id, pairs);
		}
	}
}

/** Makes every reply of the persona `words` words long, so reading a pair takes time. */
export async function lengthenReplies(db: Db, personaId: string, words: number): Promise<void> {
	await db.execute(sql`
		update candidate c set text = repeat('word ', ${words - 1}) || c.id
		from prompt p where p.id = c.prompt_id and p.persona_id = ${personaId}`);
}
