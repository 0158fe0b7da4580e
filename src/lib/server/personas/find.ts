import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { persona } from '../db/schema';
import { NotFoundError } from '../errors';
import { parseQualitySettings } from '../quality/settings';

/** `checkEvery` is the quality setting the hand-out needs on every request, so it rides along with the cached persona. */
export type PersonaSummary = { id: string; slug: string; name: string; styleGuide: string; defaultOverlap: number; checkEvery: number };

const columns = {
	id: persona.id,
	slug: persona.slug,
	name: persona.name,
	styleGuide: persona.styleGuide,
	defaultOverlap: persona.defaultOverlap,
	qualitySettings: persona.qualitySettings
};

/**
 * Every ranking request names its persona; looking it up is a round trip the
 * hot path can skip. Found personas are kept for a few seconds (per database
 * handle), so an edited style guide shows within that time.
 */
const CACHE_MS = 10_000;
const recent = new WeakMap<object, Map<string, { persona: PersonaSummary; until: number }>>();

/** The persona named by `slug`, or the first by name when none is named (most workspaces have one). */
export async function findPersona(db: DbOrTx, slug?: string | null): Promise<PersonaSummary> {
	const key = slug ?? '';
	let cache = recent.get(db);
	if (!cache) recent.set(db, (cache = new Map()));
	const hit = cache.get(key);
	if (hit && hit.until > Date.now()) return hit.persona;
	const [found] = slug
		? await db.select(columns).from(persona).where(eq(persona.slug, slug))
		: await db.select(columns).from(persona).orderBy(asc(persona.name)).limit(1);
	if (!found) throw new NotFoundError(slug ? `There is no persona "${slug}".` : 'No persona exists yet: an admin creates one first.');
	const { qualitySettings, ...summary } = found;
	const result = { ...summary, checkEvery: parseQualitySettings(qualitySettings).checkEvery };
	cache.set(key, { persona: result, until: Date.now() + CACHE_MS });
	return result;
}

export async function listPersonas(db: DbOrTx): Promise<Array<{ slug: string; name: string }>> {
	return db.select({ slug: persona.slug, name: persona.name }).from(persona).orderBy(asc(persona.name));
}
