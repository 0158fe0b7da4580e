import { sql } from 'drizzle-orm';
import { rowsOf, type Db, type Tx } from '../db';
import { isUniqueViolation } from '../errors';

/**
 * A form that starts a round sends a request id (a uuid made when the page was
 * rendered), so a double click or a retried POST starts one round: the id goes
 * on the round's sampling job as its dedupe key (unique), and a second try
 * answers with the round the first one made.
 */

export type CreatedRound = { roundId: string; number: number; jobId: string; prompts: number; promptSource: 'test_split' | 'prompts' };

const keyOf = (requestId: string): string => `evaluation.round:${requestId}`;

/** Marks the round's sampling job with the request that made it, inside the round's transaction. */
export async function recordRequest(tx: Tx, jobId: string, requestId: string | undefined): Promise<void> {
	if (requestId) await tx.execute(sql`update job set dedupe_key = ${keyOf(requestId)} where id = ${jobId}`);
}

async function roundOfRequest(db: Db, requestId: string): Promise<CreatedRound | null> {
	const [found] = rowsOf<{ id: string; number: number; job_id: string; prompts: number; prompt_source: 'test_split' | 'prompts' }>(
		await db.execute(sql`
			select r.id, r.number, j.id as job_id, (j.progress ->> 'prompts')::int as prompts, r.prompt_source
			from job j join evaluation_round r on r.sampling_job_id = j.id
			where j.dedupe_key = ${keyOf(requestId)}`)
	);
	return found ? { roundId: found.id, number: Number(found.number), jobId: found.job_id, prompts: Number(found.prompts), promptSource: found.prompt_source } : null;
}

/** Runs `start` once per request id: an earlier round of the same request is answered instead. */
export async function oncePerRequest(db: Db, requestId: string | undefined, start: () => Promise<CreatedRound>): Promise<CreatedRound> {
	if (!requestId) return start();
	const earlier = await roundOfRequest(db, requestId);
	if (earlier) return earlier;
	try {
		return await start();
	} catch (error) {
		// Two tries at once: the other one's round committed first.
		const other = isUniqueViolation(error, 'job_dedupe_unique') ? await roundOfRequest(db, requestId) : null;
		if (other) return other;
		throw error;
	}
}
