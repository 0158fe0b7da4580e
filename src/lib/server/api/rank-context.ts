import type { RequestEvent } from '@sveltejs/kit';
import * as runtime from '../runtime';
import { requireRole } from '../auth/guard';
import { findPersona, type PersonaSummary } from '../personas/find';
import type { SessionUser } from '../auth/session';
import type { Db } from '../db';

export type RankContext = { me: SessionUser; db: Db; persona: PersonaSummary; leaseMinutes: number; undoSeconds: number };

/** What every ranking endpoint starts with: who ranks (any role may), which persona, the settings. */
export async function rankContext(event: RequestEvent, personaSlug?: string | null): Promise<RankContext> {
	const me = requireRole(event, 'annotator', 'reviewer', 'admin');
	const db = runtime.db();
	const cfg = runtime.config();
	return { me, db, persona: await findPersona(db, personaSlug), leaseMinutes: cfg.leaseMinutes, undoSeconds: cfg.undoSeconds };
}
