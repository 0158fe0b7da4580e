import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { demo, openHydrated, signIn, submitOrFail, type Playwright } from './support/app';

/*
 * The quality page and the admin dashboard in a real browser, at a desktop's
 * and a phone's width: first empty (no judgment yet — the specs before this
 * one judge nothing), then with charts drawn from judgments made through the
 * rank API by three annotators and a snapshot computed by the job runner
 * after "Recompute now".
 */

const widths = [
	{ name: 'desktop', width: 1440, height: 900 },
	{ name: 'phone', width: 390, height: 844 }
] as const;

test.describe.configure({ mode: 'serial' });

async function signInInBrowser(page: Page): Promise<void> {
	await openHydrated(page, '/login');
	await page.getByLabel('Email').fill(demo.admin.email);
	await page.getByLabel('Password').fill(demo.admin.password);
	await page.keyboard.press('Enter');
	await page.waitForURL('/');
}

/** A chart by its caption's title (its SVG carries the same title, so the role alone would match twice). */
const chart = (page: Page, title: string | RegExp) => page.locator('figure.chart').filter({ has: page.locator('figcaption strong', { hasText: title }) });

/** Each chart sits inside the viewport: the SVG scales with its column instead of overflowing. */
async function expectChartsFit(page: Page, width: number): Promise<void> {
	for (const chart of await page.locator('figure.chart svg.lc-layout-svg').all()) {
		const box = await chart.boundingBox();
		expect(box, 'a chart has a size').not.toBeNull();
		expect(box!.x).toBeGreaterThanOrEqual(0);
		expect(box!.x + box!.width).toBeLessThanOrEqual(width + 1);
	}
}

/** An annotator made by the demo admin judges `count` pairs through the rank API, choosing with `choose`. */
async function judge(playwright: Playwright, admin: APIRequestContext, n: number, count: number, choose: (i: number) => 'left' | 'right' | 'tie') {
	const account = { email: `quality-${n}-${crypto.randomUUID().slice(0, 6)}@example.com`, password: 'quality-password-1' };
	await submitOrFail(admin, '/admin/users', 'create', { ...account, displayName: `Quality ${n}`, role: 'annotator' });
	const client = await signIn(playwright, account.email, account.password);
	let pairs = (await (await client.get('/api/v1/rank/pairs')).json()).pairs as Array<{ pairId: string }>;
	for (let i = 0; i < count && pairs[0]; i++) {
		const preferred = choose(i);
		const response = await client.post('/api/v1/rank/judgments', {
			data: { judgment: { clientId: crypto.randomUUID(), pairId: pairs[0].pairId, preferred, strength: preferred === 'tie' ? null : 2, durationMs: 9000 } }
		});
		expect(response.status(), await response.text()).toBe(200);
		pairs = (await response.json()).pairs;
	}
	await client.dispose();
}

for (const { name, width, height } of widths) {
	test(`without judgments, the quality page and the dashboard say so (${name})`, async ({ page }) => {
		await page.setViewportSize({ width, height });
		await signInInBrowser(page);
		await page.goto('/admin/quality');
		await expect(page.getByTestId('quality-empty')).toBeVisible();
		await expect(page.getByRole('button', { name: 'Recompute now' })).toBeVisible();
		await expect(page.locator('figure.chart')).toHaveCount(0);
		await page.goto('/admin');
		await expect(page.getByTestId('dashboard-empty')).toBeVisible();
		await expect(page.getByRole('heading', { name: /Needs attention/ })).toBeVisible();
	});
}

test('annotators judge through the rank API and “Recompute now” has the job runner compute a snapshot', async ({ page, playwright }) => {
	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	await judge(playwright, admin, 1, 12, () => 'left');
	await judge(playwright, admin, 2, 12, (i) => (i % 3 === 2 ? 'tie' : i % 2 ? 'right' : 'left'));
	await judge(playwright, admin, 3, 12, (i) => (i % 4 === 3 ? 'right' : 'left'));
	await admin.dispose();
	await signInInBrowser(page);
	await page.goto('/admin/quality');
	// Twelve votes each: the admin lowers the minimum a flag needs, through the settings form (0 is refused, by name, first).
	const minVotes = page.getByLabel(/Votes needed before agreement/);
	await minVotes.fill('0');
	await page.getByRole('button', { name: 'Save settings' }).click();
	await expect(page.getByRole('alert').filter({ hasText: 'minVotes' })).toBeVisible();
	await minVotes.fill('5');
	await page.getByRole('button', { name: 'Save settings' }).click();
	await expect(page.getByText('Saved.')).toBeVisible();
	await page.getByRole('button', { name: 'Recompute now' }).click();
	await expect(page.getByRole('status')).toContainText(/recompute is/i);
	await expect
		.poll(async () => (await page.reload(), await page.getByTestId('quality-empty').count()), { timeout: 20_000, intervals: [500, 1000] })
		.toBe(0);
});

for (const { name, width, height } of widths) {
	test(`the quality page draws its charts on the server, readable at ${width} px (${name})`, async ({ page, playwright }) => {
		const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
		const html = await (await admin.get('/admin/quality')).text();
		await admin.dispose();
		// Server-rendered: the SVG is in the HTML before any script runs, with its title as a text alternative.
		expect(html).toMatch(/<svg[^>]*lc-layout-svg/);
		expect(html).toContain('InstructGPT 72.6 %');
		await page.setViewportSize({ width, height });
		await signInInBrowser(page);
		await page.goto('/admin/quality');
		await expect(page.getByRole('heading', { name: "Krippendorff's α" })).toBeVisible();
		await expect(chart(page, "Krippendorff's α per week")).toBeVisible();
		await expect(chart(page, 'Raw agreement per week')).toContainText('InstructGPT 72.6 %');
		await expect(chart(page, /Agreement against/)).toBeVisible();
		await expect(page.locator('table.annotators tbody tr')).toHaveCount(3);
		await expectChartsFit(page, width);
		// The one who always picked the left reply is flagged for it, and the drill-down explains the flag.
		await page.getByRole('link', { name: /^Quality 1$/ }).click();
		await expect(page.getByText('position bias').first()).toBeVisible();
		await expect(page.getByText(/more or less often than chance/)).toBeVisible();
	});

	test(`the dashboard draws judgments per day and the burn-down (${name})`, async ({ page }) => {
		await page.setViewportSize({ width, height });
		await signInInBrowser(page);
		await page.goto('/admin');
		await expect(chart(page, 'Judgments per day')).toContainText('36 judgments');
		await expect(chart(page, 'Queue burn-down')).toBeVisible();
		await expect(page.locator('figure.chart svg.lc-layout-svg')).toHaveCount(2);
		await expect(page.getByRole('link', { name: /flagged annotator/ })).toBeVisible();
		await expectChartsFit(page, width);
	});
}
