import type { Preferred } from './types';

/** What the annotator has chosen for a pair so far, kept across reloads until submitted. */
export type Draft = { preferred: Preferred | null; strength: number | null; rationale: string };

const PREFIX = 'codelynn.draft.';

function storage(): Storage | null {
	return typeof localStorage === 'undefined' ? null : localStorage;
}

export const drafts = {
	empty(): Draft {
		return { preferred: null, strength: null, rationale: '' };
	},
	load(pairId: string): Draft {
		try {
			const saved = JSON.parse(storage()?.getItem(PREFIX + pairId) ?? 'null') as Partial<Draft> | null;
			return { ...drafts.empty(), ...(saved ?? {}) };
		} catch {
			return drafts.empty();
		}
	},
	save(pairId: string, draft: Draft): void {
		const blank = !draft.preferred && draft.strength === null && !draft.rationale;
		if (blank) storage()?.removeItem(PREFIX + pairId);
		else storage()?.setItem(PREFIX + pairId, JSON.stringify(draft));
	},
	clear(pairId: string): void {
		storage()?.removeItem(PREFIX + pairId);
	}
};
