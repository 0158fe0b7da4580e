import { isHttpError, isRedirect } from '@sveltejs/kit';
import { and, asc, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import { auditEvent, job, judgment, pair } from '$lib/server/db/schema';
import { annotatorQuerySchema, type AnnotatorFigureRow } from '$lib/server/quality/annotator-table';
import type { Disagreement } from '$lib/server/quality/disagreements';
import type { QualitySnapshot } from '$lib/server/quality/snapshots';
import type { MyFigures } from '$lib/server/quality/my-figures';
import type { QualityDashboard } from '$lib/server/quality/dashboard';
import type { QualityFlag } from '$lib/server/db/schema';
import { computeSnapshot } from '$lib/server/quality/compute';
import { readQualitySettings } from '$lib/server/quality/settings';
import { qualitySettingsForm } from '$lib/server/quality/settings-form';
import { actions as qualityActions, load as qualityLoad } from '../../src/routes/admin/quality/+page.server';
import { load as annotatorLoad } from '../../src/routes/admin/quality/annotators/[id]/+page.server';
import { load as dashboardLoad } from '../../src/routes/admin/+page.server';
import { load as homeLoad } from '../../src/routes/+page.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { requestEvent, thrownBy, type TestRequestEvent } from '../support/request-event';
import { annotate, type Behaviour } from '../support/synthetic-annotators';
import { seededRandom } from '../support/random';
import * as sessionHelpers from '../support/sessions';

/*
 * The quality pages, the dashboard and the home page read what the refresh
 * computes from real judgments: five annotators (one always left, one at
 * random, three careful) work through the real queue, then a snapshot is
 * computed, and the loads are called as SvelteKit would call them.
 */
let database: TestDatabase;
let admin: Awaited<ReturnType<typeof sessionHelpers.signedIn>>;
let left: Awaited<ReturnType<typeof sessionHelpers.signedIn>>;
let slug: string;
let personaId: string;
let emptySlug: string;
const crowd: Array<{ id: string; behaviour: Behaviour }> = [];

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	const [root] = await createUsers(database.db, 1, { role: 'admin', prefix: 'root' });
	admin = await sessionHelpers.signedIn(database.db, root!.id);
	({ personaId } = await createPersonaWithPairs(database.db, { pairs: 80, overlap: 3, slug: 'aa-quality' }));
	slug = 'aa-quality';
	emptySlug = 'zz-empty';
	await createPersonaWithPairs(database.db, { pairs: 2, overlap: 3, slug: emptySlug });
	const users = await createUsers(database.db, 5, { prefix: 'crowd' });
	(['left', 'random', 'careful', 'careful', 'careful'] as const).forEach((behaviour, i) => crowd.push({ id: users[i]!.id, behaviour }));
	left = await sessionHelpers.signedIn(database.db, crowd[0]!.id);
	const random = seededRandom(3);
	const truth = new Map<string, 'a' | 'b'>();
	for (const p of await database.db.select({ id: pair.id }).from(pair).where(eq(pair.personaId, personaId)).orderBy(asc(pair.createdAt)))
		truth.set(p.id, random() < 0.5 ? 'a' : 'b');
	await annotate(database.db, personaId, crowd, { rounds: 45, checkEvery: 0, truthOf: (id) => truth.get(id)!, seed: 5 });
	await computeSnapshot(database.db, personaId);
}, 120_000);

afterAll(async () => {
	await runtime.stop();
});

function asAdmin(path: string, routeId: string, options: { form?: Record<string, string>; params?: Record<string, string> } = {}): TestRequestEvent {
	const event = requestEvent(path, { routeId, user: admin.user, session: admin.session, ...options });
	return Object.assign(event, { parent: async () => ({ user: admin.user }), depends: () => {}, untrack: <T>(fn: () => T) => fn() });
}

// The routes' loads are typed loosely from outside the route; these are the fields the specification reads.
type QualityPage = {
	snapshot: QualitySnapshot | null;
	flags: { flagged: number; byFlag: Record<QualityFlag, number> } | null;
	rows: AnnotatorFigureRow[];
	total: number;
	pendingRefresh: { status: string } | null;
};
type AnnotatorPage = { figures: AnnotatorFigureRow | null; rows: Disagreement[]; total: number; page: number };
type HomePage = { personas: Array<{ slug: string; myQuality: MyFigures | null }> };
type Dashboard = {
	reviewsWaiting: number;
	persona: { quality: QualityDashboard; withoutVotes: number; latestVersion: unknown; stoppedChains: number } | null;
};

const loadQuality = async (query: string) => (await qualityLoad(asAdmin(`/admin/quality?persona=${slug}${query}`, '/admin/quality'))) as QualityPage;

describe('the quality table’s URL query', () => {
	it('ignores a bad sort, direction, filter or page size: each falls back to its default, never an error', () => {
		const parsed = annotatorQuerySchema.parse(new URLSearchParams('sort=1;drop&dir=sideways&flag=nope&show=x&pageSize=7&page=-3&q=%00'));
		expect(parsed).toEqual(annotatorQuerySchema.parse(new URLSearchParams()));
		expect(parsed).toMatchObject({ sort: 'agreement', dir: 'asc', show: 'all', flag: undefined, page: 1, pageSize: 25, q: '' });
	});

	it('answers a page for any such link, and sends a page past the end to the last one', async () => {
		const data = await loadQuality('&sort=nope&flag=%F0&pageSize=abc');
		expect(data.rows.length).toBe(crowd.length);
		const thrown = await thrownBy(() => loadQuality('&pageSize=10&page=99'));
		expect(isRedirect(thrown) && thrown.location).toBe(`/admin/quality?persona=${slug}&pageSize=10&page=1`);
	});
});

describe('/admin/quality', () => {
	it('shows the newest snapshot’s figures and one row per annotator who voted', async () => {
		const data = await loadQuality('');
		const judgments = await database.db.$count(judgment);
		expect(data.snapshot?.judgments).toBe(judgments);
		expect(data.snapshot?.figures.overall.judgments).toBe(judgments);
		expect(data.total).toBe(crowd.length);
		expect(new Set(data.rows.map((row) => row.annotatorId))).toEqual(new Set(crowd.map((c) => c.id)));
	});

	it('sorts in the database: by name, and by agreement with annotators without a figure last', async () => {
		const byName = (await loadQuality('&sort=name&dir=asc')).rows.map((row) => row.name);
		expect(byName).toEqual([...byName].sort((x, y) => x.localeCompare(y)));
		const byAgreement = (await loadQuality('&sort=agreement&dir=desc')).rows.map((row) => row.agreement);
		const known = byAgreement.filter((value) => value !== null);
		expect(known).toEqual([...known].sort((x, y) => y! - x!));
		expect(byAgreement.slice(known.length).every((value) => value === null)).toBe(true);
	});

	it('filters flagged only, by flag and by name, and counts the same as the flag summary', async () => {
		const all = await loadQuality('');
		const flagged = await loadQuality('&show=flagged');
		expect(flagged.rows.every((row) => row.flags.length > 0)).toBe(true);
		expect(flagged.total).toBe(all.flags!.flagged);
		const leftRow = all.rows.find((row) => row.annotatorId === crowd[0]!.id)!;
		expect(leftRow.flags).toContain('position_bias');
		const byFlag = await loadQuality('&flag=position_bias');
		expect(byFlag.rows.map((row) => row.annotatorId)).toContain(crowd[0]!.id);
		expect(byFlag.total).toBe(all.flags!.byFlag.position_bias);
		const byName = await loadQuality(`&q=${encodeURIComponent(leftRow.name)}`);
		expect(byName.rows.map((row) => row.annotatorId)).toEqual([crowd[0]!.id]);
	});

	it('shows an empty state for a persona without a snapshot: no figures, no rows, no error', async () => {
		const data = (await qualityLoad(asAdmin(`/admin/quality?persona=${emptySlug}`, '/admin/quality'))) as QualityPage;
		expect(data).toMatchObject({ snapshot: null, flags: null, rows: [], total: 0 });
	});

	it('asks for one refresh however often “Recompute now” is pressed', async () => {
		const first = await qualityActions.refresh!(asAdmin(`/admin/quality?persona=${slug}&/refresh`, '/admin/quality', { form: {} }));
		const second = await qualityActions.refresh!(asAdmin(`/admin/quality?persona=${slug}&/refresh`, '/admin/quality', { form: {} }));
		expect(first).toEqual(second);
		expect(await database.db.$count(job, and(eq(job.personaId, personaId), eq(job.kind, 'quality.refresh')))).toBe(1);
		expect((await loadQuality('')).pendingRefresh).toMatchObject({ status: 'queued' });
	});

	// The form as a browser sends it with every field cleared: each number field present and empty.
	const emptyForm = Object.fromEntries(qualitySettingsForm.fields.filter((field) => field !== 'goldEditChecks').map((field) => [field, '']));

	it('refuses a setting that does not parse with a 400 naming the field, and saves a good one with an audit event', async () => {
		const before = await readQualitySettings(database.db, personaId);
		const sent = (changes: Record<string, string>) =>
			asAdmin(`/admin/quality?persona=${slug}&/settings`, '/admin/quality', { form: { ...emptyForm, ...changes } });
		const bad = await qualityActions.settings!(sent({ minAgreement: 'lots', checkEvery: '2.5' }));
		expect(bad).toMatchObject({ status: 400, data: { errors: { minAgreement: expect.any(String), checkEvery: expect.any(String) }, values: { minAgreement: 'lots' } } });
		const partial = await qualityActions.settings!(asAdmin(`/admin/quality?persona=${slug}&/settings`, '/admin/quality', { form: { minVotes: '5' } }));
		expect(partial).toMatchObject({ status: 400, data: { errors: { maxRun: expect.any(String) } } });
		expect(await readQualitySettings(database.db, personaId)).toEqual(before);
		const nul = await qualityActions.settings!(sent({ goldEditChecks: 'on\u0000' }));
		expect(nul).toMatchObject({ status: 400, data: { errors: { goldEditChecks: expect.stringMatching(/NUL/i) } } });
		const good = await qualityActions.settings!(sent({ checkEvery: '10', minAgreement: '0.6', goldEditChecks: 'on' }));
		expect(good).toEqual({ savedSettings: true });
		expect(await readQualitySettings(database.db, personaId)).toMatchObject({ checkEvery: 10, minAgreement: 0.6, goldEditChecks: true, maxRun: before.maxRun });
		expect((await database.db.select({ n: count() }).from(auditEvent).where(eq(auditEvent.action, 'quality.settings')))[0]?.n).toBe(1);
	});

	it('is for admins only', async () => {
		const event = requestEvent(`/admin/quality?persona=${slug}`, { routeId: '/admin/quality', user: left.user, session: left.session });
		const thrown = await thrownBy(() => qualityLoad(Object.assign(event, { parent: async () => ({}), depends: () => {}, untrack: <T>(fn: () => T) => fn() })));
		expect(isHttpError(thrown) && thrown.status).toBe(403);
	});
});

describe('/admin/quality/annotators/[id]', () => {
	const loadAnnotator = async (id: string, query = '') =>
		(await annotatorLoad(asAdmin(`/admin/quality/annotators/${id}?persona=${slug}${query}`, '/admin/quality/annotators/[id]', { params: { id } }))) as AnnotatorPage;

	it('lists the annotator’s disagreements with the others’ majority, ten a page, each with the pair and its whole vote split', async () => {
		const data = await loadAnnotator(crowd[1]!.id);
		expect(data.figures?.annotatorId).toBe(crowd[1]!.id);
		expect(data.total).toBeGreaterThan(0);
		expect(data.rows.length).toBe(Math.min(10, data.total));
		for (const row of data.rows) {
			expect(row.mine).not.toBe(row.majority);
			expect(row.replyA).toMatch(/^A: /);
			expect(row.replyB).toMatch(/^B: /);
			const votes = await database.db.$count(judgment, eq(judgment.pairId, row.pairId));
			expect(Object.values(row.split).reduce((sum, n) => sum + n, 0)).toBe(votes);
			// the others' majority leads the others' votes alone
			const others = { ...row.split, [row.mine]: row.split[row.mine] - 1 };
			expect(Object.entries(others).filter(([, n]) => n >= others[row.majority]).map(([choice]) => choice)).toEqual([row.majority]);
		}
	});

	it('takes a bad page as the first page, and an unknown annotator is a 404', async () => {
		expect((await loadAnnotator(crowd[1]!.id, '&page=zero')).page).toBe(1);
		const missing = '00000000-0000-4000-8000-000000000000';
		const thrown = await thrownBy(() => loadAnnotator(missing));
		expect(isHttpError(thrown) && thrown.status).toBe(404);
		const malformed = await thrownBy(() => loadAnnotator('not-a-uuid'));
		expect(isHttpError(malformed) && malformed.status).toBe(404);
	});
});

describe('the homes', () => {
	it('gives an annotator their own agreement and flags, and nothing that names a pair or counts checks', async () => {
		const event = requestEvent('/', { routeId: '/', user: left.user, session: left.session });
		const data = (await homeLoad(Object.assign(event, { parent: async () => ({}), depends: () => {}, untrack: <T>(fn: () => T) => fn() }))) as HomePage;
		const mine = data.personas.find((p) => p.slug === slug)!.myQuality!;
		expect(Object.keys(mine).sort()).toEqual(
			['agreement', 'agreementHigh', 'agreementLow', 'checkAccuracy', 'checkHigh', 'checkLow', 'computedAt', 'flags', 'votes'].sort()
		);
		expect(mine.flags).toContain('position_bias');
		expect(data.personas.find((p) => p.slug === emptySlug)!.myQuality).toBeNull();
	});

	it('gives the admin a dashboard: judgments per day, the burn-down, and what needs attention', async () => {
		const data = (await dashboardLoad(asAdmin(`/admin?persona=${slug}`, '/admin'))) as Dashboard;
		const p = data.persona!;
		expect(p.quality.perDay.reduce((sum, d) => sum + d.judgments, 0)).toBe(await database.db.$count(judgment));
		expect(p.quality.burnDown).toHaveLength(1);
		const pairs = await database.db.$count(pair, eq(pair.personaId, personaId));
		const last = p.quality.burnDown[0]!;
		expect(last.open + last.leased + last.done).toBeGreaterThanOrEqual(pairs - last.leased);
		expect(p.withoutVotes).toBe(await database.db.$count(pair, and(eq(pair.personaId, personaId), eq(pair.judgmentCount, 0))));
		expect(p.quality.flagged.count).toBeGreaterThan(0);
		expect(p.quality.flagged.first.map((a) => a.id)).toContain(crowd[0]!.id);
		expect(p).toMatchObject({ latestVersion: null, stoppedChains: 0 });
		expect(data.reviewsWaiting).toBe(0);
		const quiet = (await dashboardLoad(asAdmin(`/admin?persona=${emptySlug}`, '/admin'))) as Dashboard;
		expect(quiet.persona?.quality).toEqual({ computedAt: null, perDay: [], burnDown: [], flagged: { count: 0, first: [] } });
	});
});
