import { eq, sql } from 'drizzle-orm';
import * as audit from '../audit';
import type { Db, Tx } from '../db';
import { evaluationRound } from '../db/schema';
import { NotFoundError } from '../errors';
import { isRoundId } from './round-summary';

export type RoundActor = { id: string | null; ip?: string | null };

/**
 * Closes a round: its sampling job is cancelled, so no new pairs come; the
 * pairs it has stay in the queue and their votes still count. Closing a
 * closed round changes nothing.
 */
export async function closeRound(db: Db, id: string, actor: RoundActor): Promise<{ already: boolean }> {
	if (!isRoundId(id)) throw new NotFoundError('That evaluation round does not exist.');
	return db.transaction(async (tx) => {
		const [round] = await tx.select().from(evaluationRound).where(eq(evaluationRound.id, id)).for('update');
		if (!round) throw new NotFoundError('That evaluation round does not exist.');
		if (round.closedAt) return { already: true };
		await tx.update(evaluationRound).set({ closedAt: new Date() }).where(eq(evaluationRound.id, id));
		if (round.samplingJobId) await cancelJob(tx, round.samplingJobId);
		await audit.record(tx, { actorId: actor.id, action: 'evaluation.round.close', targetType: 'evaluation_round', targetId: id, details: { number: round.number }, ip: actor.ip });
		return { already: false };
	});
}

/** As jobs.requestCancel, inside the caller's transaction: a queued job ends now, a running one at its worker's next look. */
async function cancelJob(tx: Tx, jobId: string): Promise<void> {
	await tx.execute(sql`
		update job set cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now(),
			status = case when status = 'queued' then 'cancelled' else status end
		where id = ${jobId} and status in ('queued', 'running')`);
}
