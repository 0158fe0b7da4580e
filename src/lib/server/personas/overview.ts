import { count, eq, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { judgment, modelKinds, modelVersion, pair, persona, prompt } from '../db/schema';

export type PersonaOverview = {
	id: string;
	slug: string;
	name: string;
	styleGuide: string;
	currentModel: { name: string; kind: (typeof modelKinds)[number] } | null;
	promptsByDomain: Array<{ domain: string; prompts: number }>;
	pairs: number;
	judgments: number;
};

/** What an annotator sees first: whose voice, what is in the workspace, how far along it is. */
export async function listPersonaOverviews(db: Db): Promise<PersonaOverview[]> {
	const personas = await db.select().from(persona).orderBy(persona.name);
	return Promise.all(
		personas.map(async (p) => {
			const [current] = await db
				.select({ name: modelVersion.name, kind: modelVersion.kind })
				.from(modelVersion)
				.where(sql`${modelVersion.personaId} = ${p.id} and ${modelVersion.status} = 'current'`);
			const domains = await db
				.select({ domain: prompt.domain, prompts: count() })
				.from(prompt)
				.where(eq(prompt.personaId, p.id))
				.groupBy(prompt.domain)
				.orderBy(prompt.domain);
			const [pairs] = await db
				.select({ n: count() })
				.from(pair)
				.innerJoin(prompt, eq(pair.promptId, prompt.id))
				.where(eq(prompt.personaId, p.id));
			const [judgments] = await db
				.select({ n: count() })
				.from(judgment)
				.innerJoin(pair, eq(judgment.pairId, pair.id))
				.innerJoin(prompt, eq(pair.promptId, prompt.id))
				.where(eq(prompt.personaId, p.id));
			return {
				id: p.id,
				slug: p.slug,
				name: p.name,
				styleGuide: p.styleGuide,
				currentModel: current ?? null,
				promptsByDomain: domains,
				pairs: pairs?.n ?? 0,
				judgments: judgments?.n ?? 0
			};
		})
	);
}
