import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/lib/server/db';
import type { Choice } from '../../src/lib/server/db/schema';
import { insertRound } from '../../src/lib/server/evaluation/round-rows';
import { addVotes, type VoteFixture } from './judgments';

/*
 * Evaluation votes without sampling: replies of named models written
 * straight to the tables, pairs of them (in a round or not), and votes on
 * those pairs, so a results specification states its tallies exactly.
 */

/** A persona whose models are named here (kind demo_pool: they need no endpoint); the first is current. */
export async function createModels(db: Db, names: readonly string[]): Promise<{ personaId: string; models: Record<string, string> }> {
	const slug = `eval-${crypto.randomUUID().slice(0, 8)}`;
	const [persona] = rowsOf<{ id: string }>(
		await db.execute(sql`
			insert into persona (slug, name, style_guide, system_prompt, default_overlap)
			values (${slug}, ${slug}, 'Sound like Lynn.', 'You are Lynn.', 1) returning id`)
	);
	const models: Record<string, string> = {};
	for (const [i, name] of names.entries()) {
		const [row] = rowsOf<{ id: string }>(
			await db.execute(sql`
				insert into model_version (persona_id, name, kind, status, created_at)
				values (${persona!.id}, ${name}, 'demo_pool', ${i === 0 ? 'current' : 'candidate'}, now() + make_interval(secs => ${i}))
				returning id`)
		);
		models[name] = row!.id;
	}
	return { personaId: persona!.id, models };
}

/** A round of these models, numbered as the app numbers them. */
export async function createRoundOf(
	db: Db,
	personaId: string,
	options: { candidateId: string | null; baselineId: string | null; modelIds: string[]; source?: 'admin' | 'chain' | 'arena' }
): Promise<string> {
	const source = options.source ?? 'admin';
	const round = await db.transaction((tx) =>
		insertRound(
			tx,
			{
				personaId,
				source,
				candidateModelVersionId: options.candidateId,
				baselineModelVersionId: options.baselineId,
				promptSource: source === 'arena' ? 'arena' : 'prompts'
			},
			options.modelIds
		)
	);
	return round.id;
}

/**
 * One pair per choice, each on a prompt of its own in `domain`, between a
 * reply of `first` and one of `second`, with the same vote by each of
 * `annotatorIds` (the pair's overlap): choices name `first`'s reply as `a`. On every other pair the replies are
 * swapped (candidate_a is `second`'s), and the stored choice with them, so
 * the tallies must read a / b through the pair's candidates.
 */
export async function votedPairs(
	db: Db,
	options: { personaId: string; roundId: string | null; first: string; second: string; domain: string; choices: Choice[]; annotatorIds: string[]; knownAnswer?: Choice }
): Promise<void> {
	const swapped: Record<Choice, Choice> = { a: 'b', b: 'a', tie: 'tie', both_off_persona: 'both_off_persona' };
	const votes: VoteFixture[] = [];
	for (const [i, choice] of options.choices.entries()) {
		const swap = i % 2 === 1;
		const [row] = rowsOf<{ id: string }>(
			await db.execute(sql`
				with asked as (
					insert into prompt (persona_id, messages, domain, source, content_hash)
					values (${options.personaId}, ${JSON.stringify([{ role: 'user', content: `Question ${i}` }])}::jsonb, ${options.domain}, 'fixture', md5(gen_random_uuid()::text))
					returning id
				), replies as (
					insert into candidate (prompt_id, model_version_id, text, source)
					select asked.id, m.model, 'a reply of ' || m.model, 'demo'
					from asked cross join (values (${options.first}::uuid), (${options.second}::uuid)) m(model)
					returning id, prompt_id, model_version_id
				)
				insert into pair (prompt_id, persona_id, candidate_a_id, candidate_b_id, overlap, evaluation_round_id, known_answer)
				select asked.id, ${options.personaId}, ${swap ? sql`s.id, f.id` : sql`f.id, s.id`}, ${options.annotatorIds.length}, ${options.roundId}::uuid, ${options.knownAnswer ?? null}
				from asked
				join replies f on f.model_version_id = ${options.first}::uuid
				join replies s on s.model_version_id = ${options.second}::uuid
				returning id`)
		);
		for (const annotatorId of options.annotatorIds) votes.push({ pairId: row!.id, annotatorId, choice: swap ? swapped[choice] : choice });
	}
	await addVotes(db, votes);
}

/** `count` copies of each choice, in the order given: `repeat(['a', 3], ['b', 1])`. */
export function repeat(...runs: Array<[Choice, number]>): Choice[] {
	return runs.flatMap(([choice, count]) => Array<Choice>(count).fill(choice));
}
