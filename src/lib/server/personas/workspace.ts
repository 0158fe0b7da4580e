import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';
import { candidate, persona, prompt } from '../db/schema';

export type WorkspaceCounts = { personas: number; prompts: number; candidates: number };

/** What the workspace holds, in one round trip: the admin home's summary. */
export async function countWorkspace(db: DbOrTx): Promise<WorkspaceCounts> {
	const result = await db.execute(
		sql`select (select count(*) from ${persona}) as personas, (select count(*) from ${prompt}) as prompts, (select count(*) from ${candidate}) as candidates`
	);
	const [row] = rowsOf<Record<keyof WorkspaceCounts, string | number>>(result);
	return { personas: Number(row?.personas ?? 0), prompts: Number(row?.prompts ?? 0), candidates: Number(row?.candidates ?? 0) };
}
