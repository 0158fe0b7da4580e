import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db';
import type { Choice } from '../db/schema';
import { NotFoundError } from '../errors';
import { majorityOf, type Majority } from '../quality/stats/majority';

export type PairReply = { candidateId: string; text: string; source: string; model: string; modelKind: string };

export type PairVote = {
	annotator: string;
	choice: Choice;
	strength: number | null;
	/** which of the pair's candidates this annotator saw on the left */
	leftShown: 'a' | 'b';
	durationMs: number | null;
	rationale: string | null;
	createdAt: Date;
};

/** One pair as an admin inspects it: the prompt, both replies (a, b), its check status and every vote. */
export type PairDetail = {
	id: string;
	personaId: string;
	messages: Array<{ role: string; content: string }>;
	domain: string;
	overlap: number;
	knownAnswer: Choice | null;
	leases: number;
	a: PairReply;
	b: PairReply;
	votes: PairVote[];
	/** The votes' majority (the unique most frequent answer) and the share agreeing with it. */
	majority: Majority<Choice>;
};

function replyOf(row: Record<string, unknown>, side: 'a' | 'b'): PairReply {
	return {
		candidateId: String(row[`${side}_id`]),
		text: String(row[`${side}_text`]),
		source: String(row[`${side}_source`]),
		model: String(row[`${side}_model`]),
		modelKind: String(row[`${side}_kind`])
	};
}

export async function pairDetail(db: Db, pairId: string): Promise<PairDetail> {
	const [row] = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select p.id, p.persona_id, p.overlap, p.known_answer, pr.messages, pr.domain,
				(select count(*) from lease l where l.pair_id = p.id)::int as leases,
				ca.id as a_id, ca.text as a_text, ca.source as a_source, ma.name as a_model, ma.kind as a_kind,
				cb.id as b_id, cb.text as b_text, cb.source as b_source, mb.name as b_model, mb.kind as b_kind
			from pair p
			join prompt pr on pr.id = p.prompt_id
			join candidate ca on ca.id = p.candidate_a_id join model_version ma on ma.id = ca.model_version_id
			join candidate cb on cb.id = p.candidate_b_id join model_version mb on mb.id = cb.model_version_id
			where p.id = ${pairId}`)
	);
	if (!row) throw new NotFoundError('That pair does not exist (any more).');
	const votes = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			select u.display_name, j.choice, j.strength, j.duration_ms, j.rationale, j.created_at,
				case when j.left_candidate_id = p.candidate_a_id then 'a' else 'b' end as left_shown
			from judgment j join pair p on p.id = j.pair_id join "user" u on u.id = j.annotator_id
			where j.pair_id = ${pairId}
			order by j.created_at, j.id`)
	);
	const choices = votes.map((v) => v.choice as Choice);
	const messages = typeof row.messages === 'string' ? JSON.parse(row.messages) : row.messages;
	return {
		id: String(row.id),
		personaId: String(row.persona_id),
		messages: messages as PairDetail['messages'],
		domain: String(row.domain),
		overlap: Number(row.overlap),
		knownAnswer: (row.known_answer as Choice | null) ?? null,
		leases: Number(row.leases),
		a: replyOf(row, 'a'),
		b: replyOf(row, 'b'),
		votes: votes.map((v) => ({
			annotator: String(v.display_name),
			choice: v.choice as Choice,
			strength: v.strength == null ? null : Number(v.strength),
			leftShown: v.left_shown === 'a' ? 'a' : 'b',
			durationMs: v.duration_ms == null ? null : Number(v.duration_ms),
			rationale: (v.rationale as string | null) ?? null,
			createdAt: new Date(v.created_at as string)
		})),
		majority: majorityOf(choices)
	};
}
