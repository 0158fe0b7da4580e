import { renderMarkdown } from '../markdown';
import type { HandedCandidate, HandedPair } from './lease';
import type { PairView, ShownCandidate } from '../../rank/types';

export type { PairView, ShownCandidate } from '../../rank/types';

function show(candidate: HandedCandidate): ShownCandidate {
	return {
		candidateId: candidate.id,
		html: renderMarkdown(candidate.text),
		prewritten: candidate.source === 'demo',
		truncated: candidate.finishReason === 'length'
	};
}

/** A pair as this annotator sees it: their left side first, rendered (markdown, code, KaTeX). */
export function viewPair(pair: HandedPair): PairView {
	const [left, right] = pair.leftCandidateId === pair.a.id ? [pair.a, pair.b] : [pair.b, pair.a];
	return {
		pairId: pair.pairId,
		leftCandidateId: pair.leftCandidateId,
		expiresAt: pair.expiresAt.toISOString(),
		domain: pair.domain,
		messages: pair.messages.map((m) => ({ role: m.role, html: renderMarkdown(m.content) })),
		left: show(left),
		right: show(right)
	};
}
