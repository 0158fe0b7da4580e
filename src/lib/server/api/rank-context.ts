import type { RequestEvent } from '@sveltejs/kit';
import * as runtime from '../runtime';
import { requireRole } from '../auth/guard';
import { findPersona, type PersonaSummary } from '../personas/find';
import type { SessionUser } from '../auth/session';
import type { Db } from '../db';
import { textProblem } from '../text';
import { throwJson } from './respond';

export type RankContext = { me: SessionUser; db: Db; persona: PersonaSummary; leaseMinutes: number; undoSeconds: number };

/** What every ranking endpoint starts with: who ranks (any role may), which persona, the settings. */
export async function rankContext(event: RequestEvent, personaSlug?: string | null): Promise<RankContext> {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	// `?persona=` of GET /pairs arrives unchecked; the POST bodies' persona went through text() already.
	const problem = personaSlug && textProblem(personaSlug);
	if (problem) throwJson(400, { message: `persona: ${problem}`, errors: { persona: problem } });
	const db = runtime.db();
	const cfg = runtime.config();
	return { me, db, persona: await findPersona(db, personaSlug), leaseMinutes: cfg.leaseMinutes, undoSeconds: cfg.undoSeconds };
}
