import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { z } from 'zod';
import { BASE_URL, demo, newClient, signIn, type Playwright } from './support/app';
import { createPromptsDataset, publishNextVersion } from './support/datasets';

// Training without Kubeflow, as the e2e server runs (no KFP_ENDPOINT): publishing a version writes its manifest,
// the local store announces it over HTTP to the app's own storage webhook, the webhook queues the version's
// training chain, and the chain records its reward-model run with the request it would have sent.

/** The part of a KFP v2beta1 create-run request the chain fills from the version (src/lib/server/training/chain.ts). */
const createRunSchema = z.object({
	display_name: z.string(),
	runtime_config: z.object({
		parameters: z.object({
			dataset_uri: z.string().endsWith('/v1/', 'the version folder, ending in /v1/'),
			manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 hex digits')
		})
	})
});

async function adminPage(browser: Browser, playwright: Playwright): Promise<Page> {
	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await admin.storageState() });
	await admin.dispose();
	return context.newPage();
}

/** Loads `path` again until `locator` is on it: what the server records in the background shows on a later load. */
async function reloadUntilShown(page: Page, path: string, locator: Locator): Promise<void> {
	await expect(async () => {
		await page.goto(path);
		await expect(locator).toHaveCount(1, { timeout: 1_000 });
	}).toPass({ timeout: 20_000 });
}

test('a published version is announced to the webhook and gets a reward-model run recorded with its request', async ({ browser, playwright }) => {
	test.setTimeout(90_000);
	const page = await adminPage(browser, playwright);
	const stamp = Date.now().toString(36);
	const name = `E2E training ${stamp}`;
	const slug = `e2e-training-${stamp}`;
	const datasetUrl = await createPromptsDataset(page, name);
	await publishNextVersion(page, datasetUrl, 1);

	// 1. /admin/training: the run, not sent, with the exact request that would be
	const run = page.locator(`tbody[data-dataset="${name}"][data-version="1"][data-kind="reward_model"]`);
	await reloadUntilShown(page, '/admin/training', run);
	await expect(page.getByTestId('kfp-not-configured')).toContainText('docs/kubeflow.md');
	await expect(run.locator('tr.run').getByTestId('run-state')).toHaveText('Kubeflow not configured');
	await expect(run.locator('tr.run')).toContainText('not sent');
	await expect(run.getByRole('button', { name: 'Terminate' })).toHaveCount(0);
	await run.getByText('State history, request and parameters').click();
	await expect(run.getByTestId('run-history')).toContainText('Kubeflow not configured');
	const request = createRunSchema.parse(JSON.parse((await run.getByTestId('run-request').textContent()) ?? ''));
	expect(request.display_name).toMatch(new RegExp(`^rm [a-z0-9-]+/${slug} v1 sha=${request.runtime_config.parameters.manifest_sha256.slice(0, 8)}$`));
	await expect(run.getByTestId('run-parameters').locator('[data-parameter=dataset_uri]')).toHaveText(request.runtime_config.parameters.dataset_uri);

	// 2. the delivery that started it: the manifest of v1, accepted
	const manifestKey = new RegExp(`^local/datasets/[a-z0-9-]+/${slug}/v1/manifest\\.json$`);
	const deliveries = page.getByTestId('deliveries').locator('tr', { has: page.locator('[data-cell=key]', { hasText: manifestKey }) });
	await expect(deliveries).toHaveCount(1);
	await expect(deliveries).toHaveAttribute('data-outcome', 'accepted');
	await expect(deliveries.locator('[data-cell=reason]')).toContainText('training chain queued');

	// 3. the version page lists the run; "Train again" queues chain 2, whose run shows without a reload
	await run.getByRole('link', { name: `${name} v1` }).click();
	await page.waitForURL(`${datasetUrl}/v/1`);
	const runs = page.getByTestId('version-runs');
	await expect(runs.locator('tr[data-chain="1"][data-kind=reward_model]').getByTestId('run-state')).toHaveText('Kubeflow not configured');
	await page.getByRole('button', { name: 'Train again' }).click();
	await expect(page.getByRole('status')).toContainText('Chain 2 queued');
	await expect(runs.locator('tr[data-chain="2"][data-kind=reward_model]').getByTestId('run-state')).toHaveText('Kubeflow not configured', { timeout: 15_000 });
	await page.context().close();
});

test('a delivery without the bearer token is refused with 401 unread, counted, and sampled without storing it', async ({ browser, playwright }) => {
	const page = await adminPage(browser, playwright);
	await page.goto('/admin/training');
	const week = page.getByTestId('rejection-counts').locator('tr[data-reason=no_token] [data-cell=week]');
	const before = (await week.count()) ? Number(await week.textContent()) : 0;
	const deliveries = await page.getByTestId('deliveries').locator('tbody tr').count();

	const stranger = await newClient(playwright);
	const response = await stranger.post('/api/v1/hooks/storage', { data: { EventName: 's3:ObjectCreated:Put', Records: [] } });
	expect(response.status()).toBe(401);
	await stranger.dispose();

	await page.goto('/admin/training');
	await expect(week).toHaveText(String(before + 1));
	// Newest first, and this suite runs alone (one worker): the top sample is the refusal just made.
	const newest = page.getByTestId('rejection-sample').locator('tbody tr').first();
	await expect(newest.locator('[data-cell=reason]')).toHaveText('no bearer token (401)');
	await expect(page.getByTestId('deliveries').locator('tbody tr')).toHaveCount(deliveries);
	await page.context().close();
});
