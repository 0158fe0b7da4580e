import { and, eq, isNotNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as demo from '$lib/server/demo/seed';
import * as gold from '$lib/server/gold/examples';
import * as models from '$lib/server/models/registry';
import { FieldError } from '$lib/server/errors';
import { auditEvent, candidate, modelVersion, pair, persona, type Role } from '$lib/server/db/schema';
import { findPersona } from '$lib/server/personas/find';
import type { SessionUser } from '$lib/server/auth/session';
import { actions as queueActions } from '../../src/routes/admin/queue/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import { requestEvent } from '../support/request-event';

let database: TestDatabase;
let author: SessionUser;
let reviewer: SessionUser;
let admin: SessionUser;
let personaId: string;

async function member(role: Role): Promise<SessionUser> {
	const [created] = await createUsers(database.db, 1, { role, prefix: `checks-${role}-${crypto.randomUUID().slice(0, 4)}` });
	return { id: created!.id, email: created!.email, displayName: `${role} person`, role };
}

/** An edit of a demo reply, submitted and approved; answers the approved revision's candidate source. */
async function approvedEdit(text: string): Promise<{ exampleId: string; sourceId: string }> {
	const [source] = await database.db.select({ id: candidate.id, promptId: candidate.promptId }).from(candidate).where(eq(candidate.source, 'demo')).limit(1);
	const example = await gold.startGold(database.db, { promptId: source!.promptId, sourceCandidateId: source!.id, authorId: author.id });
	await gold.saveRevision(database.db, { goldExampleId: example.id, authorId: author.id, baseRevision: 1, text });
	await gold.submitForReview(database.db, { goldExampleId: example.id, authorId: author.id, revision: 2 });
	await gold.reviewExample(database.db, { goldExampleId: example.id, reviewerId: reviewer.id, revision: 2, decision: 'approved' });
	return { exampleId: example.id, sourceId: source!.id };
}

async function checkOf(text: string) {
	const [made] = await database.db.select({ id: candidate.id, modelVersionId: candidate.modelVersionId }).from(candidate).where(eq(candidate.text, text));
	if (!made) return null;
	const [check] = await database.db.select().from(pair).where(and(isNotNull(pair.knownAnswer), eq(pair.candidateAId, made.id)));
	const [checkB] = await database.db.select().from(pair).where(and(isNotNull(pair.knownAnswer), eq(pair.candidateBId, made.id)));
	return { candidate: made, pair: check ?? checkB ?? null };
}

async function setGoldEditChecks(on: boolean) {
	await database.db.update(persona).set({ qualitySettings: { goldEditChecks: on } }).where(eq(persona.id, personaId));
}

function backfillEvent(as: SessionUser) {
	return requestEvent(`/admin/queue?persona=${demo.DEMO_PERSONA_SLUG}`, { routeId: '/admin/queue', user: as, form: {} });
}

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	await demo.seedDemoWorkspace(database.db);
	[author, reviewer, admin] = [await member('annotator'), await member('reviewer'), await member('admin')];
	personaId = (await findPersona(database.db, demo.DEMO_PERSONA_SLUG)).id;
});

afterAll(async () => {
	await runtime.stop();
});

describe('approved gold edits become checks', () => {
	it('makes one check on approval: the edit against the reply it came from, the edit expected to win', async () => {
		const { sourceId } = await approvedEdit('gamma: the way Lynn would say it');
		const made = await checkOf('gamma: the way Lynn would say it');
		expect(made?.pair).not.toBeNull();
		const check = made!.pair!;
		const editSide = check.candidateAId === made!.candidate.id ? 'a' : 'b';
		expect(check.knownAnswer).toBe(editSide);
		expect(editSide === 'a' ? check.candidateBId : check.candidateAId).toBe(sourceId);
		const [owner] = await database.db.select().from(modelVersion).where(eq(modelVersion.id, made!.candidate.modelVersionId));
		expect(owner).toMatchObject({ kind: 'human', name: 'Approved gold edits', personaId });
	});

	it('makes no check from an approval that left the reply as it was (nothing to tell apart)', async () => {
		const [source] = await database.db.select().from(candidate).where(eq(candidate.source, 'demo')).limit(1);
		const example = await gold.startGold(database.db, { promptId: source!.promptId, sourceCandidateId: source!.id, authorId: author.id });
		await gold.submitForReview(database.db, { goldExampleId: example.id, authorId: author.id, revision: 1 });
		const before = await database.db.select({ id: candidate.id }).from(candidate).where(eq(candidate.source, 'gold_edit'));
		await gold.reviewExample(database.db, { goldExampleId: example.id, reviewerId: reviewer.id, revision: 1, decision: 'approved' });
		expect(await database.db.select({ id: candidate.id }).from(candidate).where(eq(candidate.source, 'gold_edit'))).toEqual(before);
	});

	it('keeps the people\'s model version from ever becoming current', async () => {
		const [human] = await database.db.select().from(modelVersion).where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.kind, 'human')));
		await expect(models.makeCurrent(database.db, human!.id, { id: admin.id })).rejects.toBeInstanceOf(FieldError);
		await expect(database.db.update(modelVersion).set({ status: 'current' }).where(eq(modelVersion.id, human!.id))).rejects.toThrow();
	});

	it('makes no check while the persona\'s goldEditChecks is off; the backfill makes it later, once', async () => {
		await setGoldEditChecks(false);
		await approvedEdit('delta: approved while checks were off');
		expect((await checkOf('delta: approved while checks were off'))?.pair ?? null).toBeNull();
		expect(await queueActions.backfillChecks!(backfillEvent(admin))).toMatchObject({ status: 400, data: { errors: { goldEditChecks: expect.any(String) } } });

		await setGoldEditChecks(true);
		expect(await queueActions.backfillChecks!(backfillEvent(admin))).toEqual({ backfilled: 1 });
		expect((await checkOf('delta: approved while checks were off'))?.pair?.knownAnswer).toMatch(/^[ab]$/);
		expect(await queueActions.backfillChecks!(backfillEvent(admin))).toEqual({ backfilled: 0 });
		const audits = await database.db.select().from(auditEvent).where(eq(auditEvent.action, 'gold.checks.backfill'));
		expect(audits.map((a) => a.details)).toEqual([{ made: 1 }, { made: 0 }]);
	});
});
