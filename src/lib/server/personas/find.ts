import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { persona } from '../db/schema';
import { NotFoundError } from '../errors';

export type PersonaSummary = { id: string; slug: string; name: string; styleGuide: string; defaultOverlap: number };

const columns = {
	id: persona.id,
	slug: persona.slug,
	name: persona.name,
	styleGuide: persona.styleGuide,
	defaultOverlap: persona.defaultOverlap
};

/** The persona named by `slug`, or the first by name when none is named (most workspaces have one). */
export async function findPersona(db: DbOrTx, slug?: string | null): Promise<PersonaSummary> {
	const [found] = slug
		? await db.select(columns).from(persona).where(eq(persona.slug, slug))
		: await db.select(columns).from(persona).orderBy(asc(persona.name)).limit(1);
	if (!found) throw new NotFoundError(slug ? `There is no persona "${slug}".` : 'No persona exists yet: an admin creates one first.');
	return found;
}

export async function listPersonas(db: DbOrTx): Promise<Array<{ slug: string; name: string }>> {
	return db.select({ slug: persona.slug, name: persona.name }).from(persona).orderBy(asc(persona.name));
}
