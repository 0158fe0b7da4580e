import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import * as demo from '../../src/lib/server/demo/seed';
import { loadDemoContent } from '../../src/lib/server/demo/content';
import { candidate, dataset, modelVersion, pair, persona, prompt, user } from '../../src/lib/server/db/schema';
import * as accounts from '../../src/lib/server/users/accounts';

let database: TestDatabase;

beforeAll(async () => {
	database = await createTestDatabase();
});
afterAll(async () => {
	await database.close();
});

describe('the demo workspace', () => {
	it('ships at least 60 prompts across coding, maths, German, Latin and chat, some multi-turn', () => {
		const content = loadDemoContent();
		expect(content.prompts.length).toBeGreaterThanOrEqual(60);
		const domains = new Set(content.prompts.map((p) => p.domain));
		expect([...domains].sort()).toEqual(['chat', 'coding', 'german', 'latin', 'maths']);
		expect(content.prompts.filter((p) => p.messages.length >= 3).length).toBeGreaterThanOrEqual(5);
		expect(content.styleGuide).toMatch(/^# Lynn/);
	});

	it('creates persona Lynn, every prompt with at least two replies under demo-pool, pairs and three accounts', async () => {
		const summary = await demo.seedDemoWorkspace(database.db);
		const content = loadDemoContent();
		expect(summary).toMatchObject({ prompts: content.prompts.length, accounts: 3 });
		const [lynn] = await database.db.select().from(persona).where(eq(persona.slug, 'lynn'));
		expect(lynn?.styleGuide).toContain('Lynn');
		const [pool] = await database.db.select().from(modelVersion).where(eq(modelVersion.name, 'demo-pool'));
		expect(pool).toMatchObject({ kind: 'demo_pool', status: 'current', baseUrl: null });
		const perPrompt = await database.db
			.select({ promptId: candidate.promptId, n: count(), demo: sql<number>`count(*) filter (where ${candidate.source} = 'demo')` })
			.from(candidate)
			.groupBy(candidate.promptId);
		expect(perPrompt).toHaveLength(content.prompts.length);
		for (const row of perPrompt) {
			expect(row.n).toBeGreaterThanOrEqual(2);
			expect(Number(row.demo)).toBe(row.n);
		}
		const [pairs] = await database.db.select({ n: count() }).from(pair);
		expect(pairs?.n).toBe(summary.pairs);
		expect(summary.pairs).toBeGreaterThanOrEqual(content.prompts.length);
	});

	it('puts the Lynn-like reply on either side, and marks only clear cases as gold checks', async () => {
		const rows = await database.db
			.select({ known: pair.knownAnswer, aFit: sql<string>`a.params->>'demoFit'`, bFit: sql<string>`b.params->>'demoFit'` })
			.from(pair)
			.innerJoin(sql`${candidate} as a`, sql`a.id = ${pair.candidateAId}`)
			.innerJoin(sql`${candidate} as b`, sql`b.id = ${pair.candidateBId}`);
		expect(rows.some((r) => r.aFit === 'strong')).toBe(true);
		expect(rows.some((r) => r.bFit === 'strong')).toBe(true);
		for (const r of rows) {
			const offSide = r.aFit === 'off' ? 'b' : r.bFit === 'off' ? 'a' : null;
			expect(r.known).toBe(offSide);
		}
	});

	it('adds nothing when seeded again', async () => {
		const before = await database.db.select({ n: count() }).from(prompt);
		const summary = await demo.seedDemoWorkspace(database.db);
		expect(summary).toEqual({ prompts: 0, candidates: 0, pairs: 0, accounts: 0 });
		expect(await database.db.select({ n: count() }).from(prompt)).toEqual(before);
	});

	it('defines one dataset to publish from, once however often it is seeded', async () => {
		await demo.seedDemoWorkspace(database.db);
		const datasets = await database.db.select({ slug: dataset.slug, spec: dataset.spec }).from(dataset);
		expect(datasets.map((d) => d.slug)).toEqual(['lynn-prefs']);
		expect(datasets[0]!.spec).toMatchObject({ contents: { preferences: true, sft: true, prompts: true }, aggregation: { mode: 'majority' } });
	});

	it('lists only demo logins that still work', async () => {
		expect((await demo.workingDemoLogins(database.db)).map((a) => a.role)).toEqual(['admin', 'reviewer', 'annotator']);
		const [reviewer] = await database.db.select({ id: user.id }).from(user).where(eq(user.email, 'reviewer@example.com'));
		await accounts.resetPassword(database.db, reviewer!.id, 'a-private-password', { id: null });
		expect((await demo.workingDemoLogins(database.db)).map((a) => a.role)).toEqual(['admin', 'annotator']);
	});
});
