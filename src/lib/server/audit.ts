import type { DbOrTx } from './db';
import { auditEvent } from './db/schema';

export type AuditEntry = {
	actorId: string | null;
	action: string;
	targetType?: string;
	targetId?: string;
	details?: Record<string, unknown>;
	ip?: string | null;
};

/** Records who did what; call inside the same transaction as the change itself. */
export async function record(db: DbOrTx, entry: AuditEntry): Promise<void> {
	await db.insert(auditEvent).values({
		actorId: entry.actorId,
		action: entry.action,
		targetType: entry.targetType ?? null,
		targetId: entry.targetId ?? null,
		details: entry.details ?? {},
		ip: entry.ip ?? null
	});
}
