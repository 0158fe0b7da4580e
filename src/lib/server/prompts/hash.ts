import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import type { ChatMessage } from '../db/schema';

/**
 * Identity of a conversation for de-duplication: role and content of each turn,
 * with surrounding whitespace ignored, so a re-import finds what it already has.
 */
export function contentHash(messages: ChatMessage[]): string {
	const canonical = JSON.stringify(messages.map((m) => [m.role, m.content.trim()]));
	return encodeHexLowerCase(sha256(new TextEncoder().encode(canonical)));
}
