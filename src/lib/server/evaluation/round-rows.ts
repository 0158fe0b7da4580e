import { eq, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../db';
import { evaluationRound, evaluationRoundModel, persona } from '../db/schema';

export type NewRound = Omit<typeof evaluationRound.$inferInsert, 'id' | 'number' | 'createdAt'>;

/**
 * Inserts a round with the persona's next number and its models, inside the
 * caller's transaction. The persona's row is locked first, so two rounds
 * started at once get 1 and 2, not the same number twice.
 */
export async function insertRound(tx: Tx, values: NewRound, modelVersionIds: readonly string[]): Promise<{ id: string; number: number }> {
	await tx.select({ id: persona.id }).from(persona).where(eq(persona.id, values.personaId)).for('update');
	const [next] = rowsOf<{ number: number }>(
		await tx.execute(sql`select coalesce(max(number), 0)::int + 1 as number from evaluation_round where persona_id = ${values.personaId}`)
	);
	const [created] = await tx
		.insert(evaluationRound)
		.values({ ...values, number: next!.number })
		.returning({ id: evaluationRound.id, number: evaluationRound.number });
	if (!created) throw new Error('insert returned no row');
	await tx.insert(evaluationRoundModel).values([...new Set(modelVersionIds)].map((modelVersionId) => ({ roundId: created.id, modelVersionId })));
	return created;
}
