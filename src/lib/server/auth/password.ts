import { hash, verify } from '@node-rs/argon2';
import { text } from '../text';

// argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane).
const ARGON2 = { memoryCost: 19456, timeCost: 2, outputLen: 32, parallelism: 1 } as const;

export const passwordSchema = text({ error: 'Enter a password.' })
	.min(10, 'Use at least 10 characters.')
	.max(256, 'Use at most 256 characters.')
	.refine((value) => value.trim().length > 0, 'The password cannot be only spaces.');

export function hashPassword(password: string): Promise<string> {
	return hash(password, ARGON2);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real check when no such account exists, so the
 * answer's timing does not tell which emails are registered.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
	dummyHash ??= hashPassword('not-a-real-password-' + crypto.randomUUID());
	await verifyPassword(await dummyHash, password);
	return false;
}
