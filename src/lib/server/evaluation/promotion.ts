import { z } from 'zod';
import type { Db } from '../db';
import { FieldError } from '../errors';
import * as models from '../models/registry';
import { text } from '../text';
import { verdictFor } from './results';
import type { Verdict } from './types';

/**
 * "Make current" on evidence: the candidate's verdict is read first, and a
 * promotion the verdict does not back ("worse" or "not yet known") needs the
 * admin's explicit confirmation, sent as a second submit with `confirm`. The
 * rule lives here, on the server, so a page without JavaScript, an old tab or
 * a hand-made request cannot skip it. A version with no current model to be
 * measured against replaces nothing and needs no confirmation.
 */

export const promotionSchema = z.object({
	confirm: text()
		.optional()
		.transform((value) => value === 'on' || value === 'true' || value === 'yes')
});

/** Whether the verdict alone is enough to make the candidate current. */
export function needsConfirmation(verdict: Verdict): boolean {
	return verdict.outcome !== 'better' && verdict.baseline !== null;
}

const outcomeWords: Record<Verdict['outcome'], string> = { better: 'better', worse: 'worse', not_yet_known: 'not yet known' };

export function outcomeLabel(outcome: Verdict['outcome']): string {
	return outcomeWords[outcome];
}

export async function makeCurrentOnEvidence(
	db: Db,
	modelVersionId: string,
	confirmed: boolean,
	actor: models.Actor
): Promise<{ retired: string | null; verdict: Verdict }> {
	const target = await models.getModel(db, modelVersionId);
	const verdict = await verdictFor(db, modelVersionId);
	// Already current (a repeated submit): nothing to decide, nothing to change.
	if (target.status === 'current') return { retired: null, verdict };
	if (needsConfirmation(verdict) && !confirmed)
		throw new FieldError(
			'confirm',
			`The verdict against ${verdict.baseline!.name} is “${outcomeLabel(verdict.outcome)}”: ${verdict.reason} Confirm to make it current anyway.`
		);
	// The same shape as an automatic promotion's (watch.ts), plus whether the admin confirmed past the verdict.
	const evidence = { verdict: { outcome: verdict.outcome, reason: verdict.reason, votes: verdict.record?.votes ?? 0, baseline: verdict.baseline?.id ?? null, ...recordOf(verdict) }, confirmed };
	return { retired: (await models.makeCurrent(db, modelVersionId, actor, evidence)).retired, verdict };
}

function recordOf({ record: r }: Verdict): Record<string, number | null> {
	return r ? { wins: r.wins, ties: r.ties, losses: r.losses, winRate: r.winRate, low: r.low, high: r.high } : {};
}
