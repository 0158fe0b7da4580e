import { eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type Db, type DbOrTx } from '../db';
import { modelVersion, persona, type ChatMessage } from '../db/schema';
import { ConflictError, isUniqueViolation, NotFoundError } from '../errors';
import { text } from '../text';
import type { PairView } from '../../rank/types';
import { submitJudgment, type JudgmentInput, type SubmitResult } from '../queue/submit';
import { viewPair } from '../queue/view';
import { askBoth, listFighters, pickFighters } from './arena-models';
import { battleRows, writeBattle, type BattleRow } from './arena-rows';
import { readEvaluationSettings } from './settings';

/*
 * Arena mode: a trusted person types a prompt, two models answer live, blind,
 * and the vote is an ordinary judgment of an evaluation pair. Nothing is
 * written until both models have answered; then one transaction keeps the
 * prompt, both replies, the pair (in the round of those two models) and the
 * hand-out to this person alone. An unvoted battle keeps its lease for the
 * persona's lease time; then the lease expires and is reclaimed like any
 * other, and the pair (overlap 1) waits in the ranking queue for whoever
 * takes it, at its round's priority.
 */

export { listFighters, ModelUnavailableError, type Fighter, type Fighters, type Side } from './arena-models';

export const PROMPT_MAX = 8_000;
const DOMAIN = /^[a-z][a-z0-9_-]*$/;
const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

export const battleInputSchema = z.object({
	/** Made by the page before the first send, so a retried "Get replies" returns the same battle. */
	battleId: z.uuid('battleId must be a UUID made by the page'),
	prompt: text({ error: 'Type a prompt.' }).trim().min(1, 'Type a prompt.').max(PROMPT_MAX, `Keep the prompt under ${PROMPT_MAX.toLocaleString('en')} characters.`),
	domain: z.preprocess(
		blankToUndefined,
		text().trim().max(40, 'Use at most 40 characters.').regex(DOMAIN, 'A domain is lower-case letters, digits, - and _, starting with a letter (e.g. coding).').optional()
	),
	modelA: z.preprocess(blankToUndefined, z.uuid('Choose a model.').optional()),
	modelB: z.preprocess(blankToUndefined, z.uuid('Choose a model.').optional())
});
export type BattleInput = z.infer<typeof battleInputSchema>;

export type BattleOptions = { leaseMinutes: number; timeoutMs?: number };
type Person = { id: string };

function viewOf(row: BattleRow): PairView {
	const messages = typeof row.messages === 'string' ? (JSON.parse(row.messages) as ChatMessage[]) : row.messages;
	const side = (id: string, text: string, finishReason: string | null) => ({ id, text, source: 'sampled', finishReason });
	return viewPair({
		pairId: row.pair_id,
		leftCandidateId: row.left_candidate_id,
		expiresAt: new Date(row.expires_at ?? Date.now()),
		domain: row.domain,
		messages,
		a: side(row.a_id, row.a_text, row.a_finish_reason),
		b: side(row.b_id, row.b_text, row.b_finish_reason)
	});
}

/** The battle already written under this id, as its person sees it; null when there is none. */
async function existingBattle(db: DbOrTx, person: Person, battleId: string): Promise<PairView | null> {
	const [row] = await battleRows(db, person.id, sql`p.id = ${battleId}`);
	if (row) return viewOf(row);
	const [taken] = rowsOf(await db.execute(sql`select 1 from pair where id = ${battleId}`));
	if (taken) throw new ConflictError('This battle id belongs to another pair: reload the page and try again.');
	return null;
}

/**
 * Asks both models and writes the battle. Safe to retry with the same
 * `battleId`: the battle already written comes back without asking again.
 * A model that does not answer throws ModelUnavailableError naming its side.
 */
export async function startBattle(db: Db, person: Person, personaId: string, input: BattleInput, options: BattleOptions): Promise<PairView> {
	const earlier = await existingBattle(db, person, input.battleId);
	if (earlier) return earlier;
	const fighters = pickFighters(await listFighters(db, personaId), input);
	const models = await db.select().from(modelVersion).where(inArray(modelVersion.id, fighters.map((f) => f.id)));
	const ordered = fighters.map((f) => models.find((m) => m.id === f.id)!) as [(typeof models)[number], (typeof models)[number]];
	const [owner] = await db.select({ systemPrompt: persona.systemPrompt }).from(persona).where(eq(persona.id, personaId));
	if (!owner) throw new NotFoundError('That persona no longer exists.');
	const messages: ChatMessage[] = [{ role: 'user', content: input.prompt }];
	const replies = await askBoth(ordered, [{ role: 'system', content: owner.systemPrompt }, ...messages], options.timeoutMs ?? 45_000);
	const current = fighters.find((f) => f.status === 'current');
	const settings = await readEvaluationSettings(db, personaId);
	try {
		await db.transaction((tx) =>
			writeBattle(tx, {
				battleId: input.battleId,
				userId: person.id,
				personaId,
				messages,
				domain: input.domain ?? 'chat',
				replies,
				currentId: current?.id ?? null,
				priority: settings.priority,
				leaseMinutes: options.leaseMinutes
			})
		);
	} catch (error) {
		// the same battle sent twice at once: the other request wrote it, and this one answers it
		if (!isUniqueViolation(error, 'pair_pkey')) throw error;
	}
	const written = await existingBattle(db, person, input.battleId);
	if (!written) throw new Error('a battle just written was not found');
	return written;
}

/** The person's newest battle they have not voted on and still hold, to show again after a reload. */
export async function openBattle(db: DbOrTx, person: Person, personaId: string): Promise<PairView | null> {
	const [row] = await battleRows(db, person.id, sql`p.persona_id = ${personaId} and l.expires_at > now()
		and not exists (select 1 from judgment j where j.pair_id = p.id and j.annotator_id = ${person.id})`);
	return row ? viewOf(row) : null;
}

export type Reveal = { pairId: string; left: { name: string; status: string }; right: { name: string; status: string } };

/** Which model wrote which side, for the person who voted on this battle; refused before their vote. */
export async function revealBattle(db: DbOrTx, person: Person, pairId: string): Promise<Reveal> {
	const [row] = await battleRows(db, person.id, sql`p.id = ${pairId}`);
	if (!row) throw new NotFoundError('No such arena battle of yours.');
	if (!row.judged) throw new ConflictError('Vote first: the models are named only after your vote, so their names cannot sway it.');
	const a = { name: row.a_model, status: row.a_status };
	const b = { name: row.b_model, status: row.b_status };
	return row.left_candidate_id === row.a_id ? { pairId, left: a, right: b } : { pairId, left: b, right: a };
}

/**
 * The vote, through the ranking's own submit (rank_submit: the client id
 * makes a retry record once), then the reveal. Only the person's own arena
 * battles are taken here; ranking pairs are judged on /rank.
 */
export async function voteInBattle(db: Db, person: Person, input: JudgmentInput): Promise<{ result: SubmitResult; reveal: Reveal }> {
	const [row] = await battleRows(db, person.id, sql`p.id = ${input.pairId}`);
	if (!row) throw new NotFoundError('No such arena battle of yours.');
	const result = await submitJudgment(db, person.id, input);
	return { result, reveal: await revealBattle(db, person, input.pairId) };
}
