import { describe, expect, it } from 'vitest';
import { requestsOf } from '../../src/lib/server/sampling/worker';

const item = (seed: number | undefined, temperature = 0.8, model = 'm1') => ({ model_version_id: model, params: { temperature, ...(seed === undefined ? {} : { seed }) } });
const seedsOf = (groups: ReturnType<typeof requestsOf<ReturnType<typeof item>>>) => groups.map((g) => g.map((i) => i.params.seed ?? null));

describe('grouping a lane’s items into requests', () => {
	it('asks for consecutive seeds in one request with n, since the server seeds its samples base, base + 1, …', () => {
		expect(seedsOf(requestsOf([item(13), item(11), item(12), item(10)]))).toEqual([[10, 11, 12, 13]]);
	});

	it('asks again after a gap in the seeds (another lane holds the missing one), so no seed is asked for twice', () => {
		expect(seedsOf(requestsOf([item(10), item(12), item(13)]))).toEqual([[10], [12, 13]]);
	});

	it('keeps models and temperatures apart, and unseeded items of one kind together', () => {
		expect(seedsOf(requestsOf([item(undefined, 0.2), item(undefined, 0.2), item(undefined, 1), item(1, 0.2, 'm2')]))).toEqual([[null, null], [null], [1]]);
	});
});
