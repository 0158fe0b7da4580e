import { and, count, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { pair } from '../db/schema';

/** Regular pairs (checks left out) nobody has voted on yet: work the crowd has not reached. */
export async function countPairsWithoutVotes(db: DbOrTx, personaId: string): Promise<number> {
	const [row] = await db
		.select({ pairs: count() })
		.from(pair)
		.where(and(eq(pair.personaId, personaId), isNull(pair.knownAnswer), eq(pair.judgmentCount, 0)));
	return row?.pairs ?? 0;
}

