/**
 * A token bucket per key (a client address), in this process's memory: a
 * burst of `perMinute` requests, then `perMinute` a minute. Kept in memory
 * on purpose: a limiter that wrote to the database for every request would
 * be the very load it is there to stop. Each app instance limits on its own.
 * The map forgets the address it saw longest ago once it holds MAX_KEYS,
 * so a flood from many addresses cannot grow it without end.
 */

export type RateLimiter = {
	/** null: go ahead (one token taken). A number: refused, try again in that many seconds. */
	take(key: string): number | null;
};

const MAX_KEYS = 10_000;

export function createRateLimiter(perMinute: () => number, now: () => number = Date.now): RateLimiter {
	const buckets = new Map<string, { tokens: number; at: number }>();
	return {
		take(key) {
			const capacity = perMinute();
			const perMs = capacity / 60_000;
			const time = now();
			const bucket = buckets.get(key) ?? { tokens: capacity, at: time };
			bucket.tokens = Math.min(capacity, bucket.tokens + (time - bucket.at) * perMs);
			bucket.at = time;
			buckets.delete(key); // re-inserted last: the map's order is least recently seen first
			buckets.set(key, bucket);
			if (buckets.size > MAX_KEYS) buckets.delete(buckets.keys().next().value!);
			if (bucket.tokens >= 1) {
				bucket.tokens -= 1;
				return null;
			}
			return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
		}
	};
}
