import { eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { loginThrottle } from '../db/schema';

/**
 * Sign-in throttling per account and per client address. Keys are counted
 * whether or not the account exists, so a lock-out says nothing about which
 * emails are registered.
 */
type Rule = { freeFailures: number; firstLockMs: number; maxLockMs: number };

const RULES = {
	email: { freeFailures: 5, firstLockMs: 60_000, maxLockMs: 15 * 60_000 },
	ip: { freeFailures: 20, firstLockMs: 60_000, maxLockMs: 15 * 60_000 }
} satisfies Record<string, Rule>;

/** Failures older than this (with no lock in force) are forgotten. */
const WINDOW = '1 hour';

export type ThrottleKeys = { email: string; ip: string | null };

function keysOf(keys: ThrottleKeys): Array<{ key: string; rule: Rule }> {
	const list = [{ key: `email:${keys.email}`, rule: RULES.email }];
	if (keys.ip) list.push({ key: `ip:${keys.ip}`, rule: RULES.ip });
	return list;
}

/** When sign-in may be tried again, or null when it may be tried now. */
export async function lockedUntil(db: DbOrTx, keys: ThrottleKeys, now = new Date()): Promise<Date | null> {
	const rows = await db
		.select({ lockedUntil: loginThrottle.lockedUntil })
		.from(loginThrottle)
		.where(inArray(loginThrottle.key, keysOf(keys).map((k) => k.key)));
	const until = rows
		.map((row) => row.lockedUntil)
		.filter((date): date is Date => date !== null && date > now)
		.sort((a, b) => b.getTime() - a.getTime())[0];
	return until ?? null;
}

/** Counts a failed sign-in against the account and the address; locks with doubling back-off. */
export async function recordFailure(db: DbOrTx, keys: ThrottleKeys, now = new Date()): Promise<void> {
	for (const { key, rule } of keysOf(keys)) {
		const [row] = await db
			.insert(loginThrottle)
			.values({ key, failures: 1, windowStartedAt: now })
			.onConflictDoUpdate({
				target: loginThrottle.key,
				set: {
					failures: sql`case when ${loginThrottle.windowStartedAt} < ${now.toISOString()}::timestamptz - interval '${sql.raw(WINDOW)}' then 1 else ${loginThrottle.failures} + 1 end`,
					windowStartedAt: sql`case when ${loginThrottle.windowStartedAt} < ${now.toISOString()}::timestamptz - interval '${sql.raw(WINDOW)}' then ${now.toISOString()}::timestamptz else ${loginThrottle.windowStartedAt} end`
				}
			})
			.returning({ failures: loginThrottle.failures });
		const over = (row?.failures ?? 0) - rule.freeFailures;
		if (over >= 0) {
			const lockMs = Math.min(rule.maxLockMs, rule.firstLockMs * 2 ** over);
			await db
				.update(loginThrottle)
				.set({ lockedUntil: new Date(now.getTime() + lockMs) })
				.where(eq(loginThrottle.key, key));
		}
	}
}

/** A correct password clears the account's count (not the address's: one known account must not unlock an address). */
export async function recordSuccess(db: DbOrTx, email: string): Promise<void> {
	await db.delete(loginThrottle).where(eq(loginThrottle.key, `email:${email}`));
}

export function describeWait(until: Date, now = new Date()): string {
	const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
	return `Too many sign-in attempts. Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`;
}
