import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '$lib/server/users/accounts';
import * as throttle from '$lib/server/auth/throttle';
import { loginThrottle, user } from '$lib/server/db/schema';
import { createTestDatabase, type TestDatabase } from '../support/database';

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong horse battery';
const MINUTE = 60_000;

let database: TestDatabase;
let nextAddress = 1;

/** Each spec signs in from its own address, so one spec's failures never throttle another's. */
function freshIp(): string {
	const n = nextAddress++;
	return `203.0.${Math.floor(n / 250)}.${n % 250}`;
}

async function createMember(email: string, options: { disabled?: boolean } = {}): Promise<string> {
	const { id } = await accounts.createUser(
		database.db,
		{ email, displayName: email.split('@')[0] ?? email, role: 'annotator', password: PASSWORD },
		{ id: null }
	);
	if (options.disabled) await database.db.update(user).set({ disabledAt: new Date() }).where(eq(user.id, id));
	return id;
}

async function failTimes(times: number, email: string, ip: string | null): Promise<void> {
	for (let i = 0; i < times; i++) {
		expect(await accounts.signIn(database.db, email, WRONG, ip)).toEqual({ ok: false, reason: 'invalid' });
	}
}

beforeAll(async () => {
	database = await createTestDatabase();
});

afterAll(async () => {
	await database?.close();
});

describe('signIn', () => {
	it('lets a member in with the right password', async () => {
		const id = await createMember('right@example.com');
		expect(await accounts.signIn(database.db, 'right@example.com', PASSWORD, freshIp())).toEqual({ ok: true, userId: id });
	});

	it('answers a wrong password, an unknown email and a disabled account with the same `invalid`', async () => {
		await createMember('known@example.com');
		await createMember('disabled@example.com', { disabled: true });
		const wrongPassword = await accounts.signIn(database.db, 'known@example.com', WRONG, freshIp());
		const unknownEmail = await accounts.signIn(database.db, 'nobody@example.com', PASSWORD, freshIp());
		const disabled = await accounts.signIn(database.db, 'disabled@example.com', PASSWORD, freshIp());
		expect(wrongPassword).toEqual({ ok: false, reason: 'invalid' });
		expect(unknownEmail).toEqual(wrongPassword);
		expect(disabled).toEqual(wrongPassword);
	});

	it('locks an account after five wrong passwords, even for the right one', async () => {
		await createMember('locked@example.com');
		const before = Date.now();
		await failTimes(5, 'locked@example.com', freshIp());
		// A different address too: the lock is on the account, not only on where the guesses came from.
		const sixth = await accounts.signIn(database.db, 'locked@example.com', PASSWORD, freshIp());
		expect(sixth).toMatchObject({ ok: false, reason: 'throttled' });
		const until = sixth.ok === false && sixth.reason === 'throttled' ? sixth.until.getTime() : 0;
		expect(until).toBeGreaterThanOrEqual(before + MINUTE);
		expect(until).toBeLessThanOrEqual(Date.now() + MINUTE);
	});

	it('locks an email that does not exist the same way, so a lock-out does not reveal which emails are registered', async () => {
		const ip = freshIp();
		await failTimes(5, 'ghost@example.com', ip);
		expect(await accounts.signIn(database.db, 'ghost@example.com', PASSWORD, freshIp())).toMatchObject({
			ok: false,
			reason: 'throttled'
		});
	});

	it('forgives earlier failures once the right password is given', async () => {
		await createMember('forgetful@example.com');
		const ip = freshIp();
		await failTimes(4, 'forgetful@example.com', ip);
		expect(await accounts.signIn(database.db, 'forgetful@example.com', PASSWORD, ip)).toMatchObject({ ok: true });
		await failTimes(4, 'forgetful@example.com', ip);
		expect(await accounts.signIn(database.db, 'forgetful@example.com', PASSWORD, ip)).toMatchObject({ ok: true });
	});

	it('throttles an address after twenty failures across different emails, and only that address', async () => {
		await createMember('bystander@example.com');
		const sprayer = freshIp();
		for (let i = 0; i < 20; i++) await failTimes(1, `spray-${i}@example.com`, sprayer);
		expect(await accounts.signIn(database.db, 'bystander@example.com', PASSWORD, sprayer)).toMatchObject({
			ok: false,
			reason: 'throttled'
		});
		expect(await accounts.signIn(database.db, 'bystander@example.com', PASSWORD, freshIp())).toMatchObject({ ok: true });
	});

	it('lets the right password in again once the lock has run out', async () => {
		const id = await createMember('patient@example.com');
		await failTimes(5, 'patient@example.com', freshIp());
		expect(await accounts.signIn(database.db, 'patient@example.com', PASSWORD, freshIp())).toMatchObject({
			reason: 'throttled'
		});
		await database.db
			.update(loginThrottle)
			.set({ lockedUntil: new Date(Date.now() - 1000) })
			.where(eq(loginThrottle.key, 'email:patient@example.com'));
		expect(await accounts.signIn(database.db, 'patient@example.com', PASSWORD, freshIp())).toEqual({ ok: true, userId: id });
	});
});

describe('throttle', () => {
	const t0 = new Date('2030-01-01T12:00:00Z');
	const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);

	it('locks for one minute at the fifth failure and frees the key when that minute is over', async () => {
		const keys = { email: 'clock@example.com', ip: null };
		for (let i = 0; i < 4; i++) await throttle.recordFailure(database.db, keys, t0);
		expect(await throttle.lockedUntil(database.db, keys, t0)).toBeNull();
		await throttle.recordFailure(database.db, keys, t0);
		expect(await throttle.lockedUntil(database.db, keys, t0)).toEqual(at(1));
		expect(await throttle.lockedUntil(database.db, keys, at(1))).toBeNull();
	});

	it('doubles the lock for every further failure, up to fifteen minutes', async () => {
		const keys = { email: 'stubborn@example.com', ip: null };
		for (let i = 0; i < 5; i++) await throttle.recordFailure(database.db, keys, t0);
		const locks: number[] = [];
		let now = at(1);
		for (let i = 0; i < 5; i++) {
			await throttle.recordFailure(database.db, keys, now);
			const until = await throttle.lockedUntil(database.db, keys, now);
			locks.push(((until?.getTime() ?? now.getTime()) - now.getTime()) / MINUTE);
			now = until ?? now;
		}
		expect(locks).toEqual([2, 4, 8, 15, 15]);
	});

	it('forgets failures that are more than an hour old', async () => {
		const keys = { email: 'slow@example.com', ip: null };
		for (let i = 0; i < 4; i++) await throttle.recordFailure(database.db, keys, t0);
		await throttle.recordFailure(database.db, keys, at(61));
		expect(await throttle.lockedUntil(database.db, keys, at(61))).toBeNull();
		const [row] = await database.db.select().from(loginThrottle).where(like(loginThrottle.key, 'email:slow@%'));
		expect(row?.failures).toBe(1);
	});

	it('names the wait in whole minutes, rounded up', () => {
		const now = new Date('2030-01-01T12:00:00Z');
		const later = (ms: number) => new Date(now.getTime() + ms);
		expect(throttle.describeWait(later(20_000), now)).toBe('Too many sign-in attempts. Please wait 1 minute and try again.');
		expect(throttle.describeWait(later(90_000), now)).toContain('wait 2 minutes');
		expect(throttle.describeWait(later(15 * MINUTE), now)).toContain('wait 15 minutes');
	});
});

describe('timing', () => {
	it('takes about as long for an unknown email as for a known one with a wrong password', async () => {
		await createMember('timed@example.com');
		// The first unknown-email check also makes the dummy hash; keep it out of the measurement.
		await accounts.signIn(database.db, 'warm-up@example.com', WRONG, null);
		const known: number[] = [];
		const unknown: number[] = [];
		for (let i = 0; i < 8; i++) {
			// Stay under the lock, which would answer early and skip argon2.
			await database.db.delete(loginThrottle).where(eq(loginThrottle.key, 'email:timed@example.com'));
			let started = performance.now();
			expect(await accounts.signIn(database.db, 'timed@example.com', WRONG, null)).toMatchObject({ reason: 'invalid' });
			known.push(performance.now() - started);
			started = performance.now();
			expect(await accounts.signIn(database.db, `absent-${i}@example.com`, WRONG, null)).toMatchObject({ reason: 'invalid' });
			unknown.push(performance.now() - started);
		}
		const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
		const ratio = mean(unknown) / mean(known);
		expect(ratio).toBeGreaterThan(0.5);
		expect(ratio).toBeLessThan(2);
	});
});
