import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import * as demo from '../../src/lib/server/demo/seed';
import { candidate, judgment, modelVersion, pair, persona, prompt, user } from '../../src/lib/server/db/schema';

// The database itself refuses dishonest rows, whatever the application code does.

let database: TestDatabase;
let fixture: { pairId: string; leftId: string; annotatorId: string; otherPromptCandidateId: string; personaId: string };

beforeAll(async () => {
	database = await createTestDatabase();
	await demo.seedDemoWorkspace(database.db);
	const [p] = await database.db.select().from(pair).limit(1);
	const [annotator] = await database.db.select().from(user).where(eq(user.email, 'annotator@example.com'));
	const [other] = await database.db
		.select({ id: candidate.id })
		.from(candidate)
		.where(eq(candidate.promptId, (await database.db.select().from(prompt).limit(2))[1]!.id));
	const [lynn] = await database.db.select().from(persona);
	fixture = { pairId: p!.id, leftId: p!.candidateAId, annotatorId: annotator!.id, otherPromptCandidateId: other!.id, personaId: lynn!.id };
});
afterAll(async () => {
	await database.close();
});

function judge(values: Partial<typeof judgment.$inferInsert>) {
	return database.db.insert(judgment).values({
		clientId: crypto.randomUUID(),
		pairId: fixture.pairId,
		annotatorId: fixture.annotatorId,
		choice: 'a',
		strength: 2,
		leftCandidateId: fixture.leftId,
		...values
	});
}

describe('constraints that keep the data honest', () => {
	it('refuses a strength outside 1–4, a strength on a tie, and a missing strength on a/b', async () => {
		await expect(judge({ strength: 5 })).rejects.toThrow();
		await expect(judge({ strength: 0 })).rejects.toThrow();
		await expect(judge({ choice: 'tie', strength: 1 })).rejects.toThrow();
		await expect(judge({ choice: 'b', strength: null })).rejects.toThrow();
		await expect(judge({ choice: 'maybe' as 'a' })).rejects.toThrow();
	});

	it('stores one judgment per pair and annotator, and one per client id', async () => {
		const clientId = crypto.randomUUID();
		await judge({ clientId, choice: 'both_off_persona', strength: null });
		await expect(judge({ choice: 'a' })).rejects.toThrow();
		const [count] = await database.db.select().from(judgment).where(eq(judgment.clientId, clientId));
		expect(count?.choice).toBe('both_off_persona');
	});

	it('refuses a pair whose candidates answer different prompts, or the same candidate twice', async () => {
		const [p] = await database.db.select().from(pair).where(eq(pair.id, fixture.pairId));
		await expect(
			database.db.insert(pair).values({ promptId: p!.promptId, personaId: p!.personaId, candidateAId: p!.candidateAId, candidateBId: fixture.otherPromptCandidateId, overlap: 3 })
		).rejects.toThrow();
		await expect(
			database.db.insert(pair).values({ promptId: p!.promptId, personaId: p!.personaId, candidateAId: p!.candidateAId, candidateBId: p!.candidateAId, overlap: 3 })
		).rejects.toThrow();
	});

	it('allows one current model per persona, and an endpoint model needs a URL and a model name', async () => {
		await expect(
			database.db.insert(modelVersion).values({ personaId: fixture.personaId, name: 'second-current', kind: 'demo_pool', status: 'current' })
		).rejects.toThrow();
		await expect(
			database.db.insert(modelVersion).values({ personaId: fixture.personaId, name: 'no-url', kind: 'endpoint' })
		).rejects.toThrow();
	});

	it('keeps emails normalised and roles known', async () => {
		await expect(
			database.db.insert(user).values({ email: 'Mixed@Example.com', displayName: 'x', role: 'admin', passwordHash: 'x' })
		).rejects.toThrow();
		await expect(
			database.db.insert(user).values({ email: 'new@example.com', displayName: 'x', role: 'owner' as 'admin', passwordHash: 'x' })
		).rejects.toThrow();
	});
});
