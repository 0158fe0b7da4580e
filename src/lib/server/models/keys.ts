/*
 * Which environment variables a model version may name as its API key. The key
 * is sent as a bearer token to a URL an admin types, so a free choice would let
 * anyone with the admin role send DATABASE_URL or S3_SECRET_ACCESS_KEY to a
 * server of theirs. Only variables made for model keys qualify: the prefix, or
 * the operator's own list (MODEL_ALLOWED_KEY_VARS, which refuses the platform's settings).
 */

export const KEY_VARIABLE_PREFIX = 'MODEL_API_KEY_';

export const KEY_VARIABLE_RULE = `a name that starts with ${KEY_VARIABLE_PREFIX} (e.g. ${KEY_VARIABLE_PREFIX}VLLM), or one the operator lists in MODEL_ALLOWED_KEY_VARS`;

export function isKeyVariable(name: string, listed: readonly string[]): boolean {
	return (name.startsWith(KEY_VARIABLE_PREFIX) && name.length > KEY_VARIABLE_PREFIX.length) || listed.includes(name);
}

/** The key named by `name`, read now; undefined when unset, empty, or not a key variable at all. */
export function keyFrom(name: string | null, listed: readonly string[]): string | undefined {
	return name && isKeyVariable(name, listed) ? process.env[name] || undefined : undefined;
}
