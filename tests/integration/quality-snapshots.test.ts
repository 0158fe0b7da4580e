import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs } from '../support/fixtures';
import { qualitySnapshot } from '../../src/lib/server/db/schema';
import { defaultQualitySettings } from '../../src/lib/server/quality/settings';
import type { QualityFigures } from '../../src/lib/server/quality/figures';
import * as snapshots from '../../src/lib/server/quality/snapshots';

let database: TestDatabase;

beforeAll(async () => {
	database = await createTestDatabase();
});
afterAll(async () => {
	await database.close();
});

const noAlpha = { value: null, low: null, high: null, units: 0, pairable: 0 };
function figuresWithQueue(done: number): QualityFigures {
	const scope = { key: '', judgments: 0, alphaNominal: noAlpha, alphaOrdinal: noAlpha, rawAgreement: { value: null, low: null, high: null, comparisons: 0 } };
	return {
		overall: scope,
		byDomain: [],
		byWeek: [],
		positionBias: { abVotes: 0, leftPicks: 0, share: null, pValue: null, flagged: false },
		crowd: { tieRate: null, offRate: null, medianMs: null },
		checks: { pairs: 0, answers: 0, correct: 0 },
		queue: { pairs: 10, done, leased: 0, open: 10 - done },
		perDay: []
	};
}

async function storeSnapshot(personaId: string, computedAt: Date, done: number) {
	const [row] = await database.db
		.insert(qualitySnapshot)
		.values({ personaId, computedAt, judgments: done, settings: {}, figures: figuresWithQueue(done), durationMs: 5 })
		.returning({ id: qualitySnapshot.id });
	return row!.id;
}

const daysAgo = (days: number, hour: number) => {
	const d = new Date();
	d.setUTCDate(d.getUTCDate() - days);
	d.setUTCHours(hour, 0, 0, 0);
	return d;
};

describe('reading quality snapshots', () => {
	it('gives null before the first snapshot', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		expect(await snapshots.latestSnapshot(database.db, personaId)).toBeNull();
		expect(await snapshots.snapshotHistory(database.db, personaId, 30)).toEqual([]);
	});

	it('reads the newest snapshot with its figures parsed and the settings over the defaults', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		await storeSnapshot(personaId, daysAgo(1, 10), 3);
		const newest = await storeSnapshot(personaId, daysAgo(0, 0), 4);
		const latest = await snapshots.latestSnapshot(database.db, personaId);
		expect(latest).toMatchObject({ id: newest, judgments: 4, durationMs: 5, settings: defaultQualitySettings() });
		expect(latest!.figures.queue).toEqual({ pairs: 10, done: 4, leased: 0, open: 6 });
	});

	it('keeps the newest snapshot of each UTC day within the window, oldest first', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		await storeSnapshot(personaId, daysAgo(40, 12), 1);
		await storeSnapshot(personaId, daysAgo(2, 8), 2);
		const endOfDay2 = await storeSnapshot(personaId, daysAgo(2, 23), 3);
		await storeSnapshot(personaId, daysAgo(0, 0), 4);
		const today = await storeSnapshot(personaId, new Date(), 5);
		const history = await snapshots.snapshotHistory(database.db, personaId, 30);
		expect(history.map((s) => s.id)).toEqual([endOfDay2, today]);
		expect(history.map((s) => s.figures.queue.done)).toEqual([3, 5]);
	});

	it('refuses figures that no longer parse, naming the snapshot', async () => {
		const { personaId } = await createPersonaWithPairs(database.db, { pairs: 1, overlap: 1 });
		const [row] = await database.db
			.insert(qualitySnapshot)
			.values({ personaId, judgments: 0, settings: {}, figures: { overall: 'broken' }, durationMs: 1 })
			.returning({ id: qualitySnapshot.id });
		await expect(snapshots.latestSnapshot(database.db, personaId)).rejects.toThrow(row!.id);
	});
});
