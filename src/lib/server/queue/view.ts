import { eq, inArray } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../db';
import { candidate, pair, prompt } from '../db/schema';
import { renderMarkdown } from '../markdown';
import type { Lease } from './lease';
import type { PairView, ShownCandidate } from '../../rank/types';

export type { PairView, ShownCandidate } from '../../rank/types';

const candidateA = alias(candidate, 'candidate_a');
const candidateB = alias(candidate, 'candidate_b');

/** The pairs behind `leases`, in the leases' order, rendered (markdown, code, KaTeX) for the page. */
export async function viewPairs(db: DbOrTx, leases: Lease[]): Promise<PairView[]> {
	if (leases.length === 0) return [];
	const rows = await db
		.select({
			pairId: pair.id,
			domain: prompt.domain,
			messages: prompt.messages,
			a: { id: candidateA.id, text: candidateA.text, source: candidateA.source, finishReason: candidateA.finishReason },
			b: { id: candidateB.id, text: candidateB.text, source: candidateB.source, finishReason: candidateB.finishReason }
		})
		.from(pair)
		.innerJoin(prompt, eq(prompt.id, pair.promptId))
		.innerJoin(candidateA, eq(candidateA.id, pair.candidateAId))
		.innerJoin(candidateB, eq(candidateB.id, pair.candidateBId))
		.where(inArray(pair.id, leases.map((l) => l.pairId)));
	const byId = new Map(rows.map((row) => [row.pairId, row]));
	return leases.flatMap((lease) => {
		const row = byId.get(lease.pairId);
		if (!row) return [];
		const [left, right] = lease.leftCandidateId === row.a.id ? [row.a, row.b] : [row.b, row.a];
		const show = (c: typeof row.a): ShownCandidate => ({
			candidateId: c.id,
			html: renderMarkdown(c.text),
			prewritten: c.source === 'demo',
			truncated: c.finishReason === 'length'
		});
		return [
			{
				pairId: row.pairId,
				leftCandidateId: lease.leftCandidateId,
				expiresAt: lease.expiresAt.toISOString(),
				domain: row.domain,
				messages: row.messages.map((m) => ({ role: m.role, html: renderMarkdown(m.content) })),
				left: show(left),
				right: show(right)
			}
		];
	});
}
