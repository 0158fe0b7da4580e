import { expect, test } from '@playwright/test';
import { BASE_URL, demo, signIn, submitOrFail } from './support/app';
import { MODEL_BASE_URL } from './support/server';

// A new admin's whole round, in the browser: point the platform at a model server (the
// contract-speaking test server), import prompts, sample pairs from it, watch the job, and
// an annotator ranks one of the new pairs.

test('register the model server, import prompts, sample pairs, and rank one of them', async ({ browser, playwright }) => {
	test.setTimeout(90_000);
	const adminClient = await signIn(playwright, demo.admin.email, demo.admin.password);
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await adminClient.storageState() });
	const page = await context.newPage();

	// 1. the model: register, test the connection, make it current
	await page.goto('/admin/models');
	const register = page.locator('section', { has: page.getByRole('heading', { name: 'Register a model version' }) });
	await register.getByLabel('Name').fill('e2e-test-server');
	await register.getByLabel('Base URL').fill(MODEL_BASE_URL);
	await register.getByLabel('Model', { exact: true }).fill('policy-v7');
	await register.getByRole('button', { name: 'Register' }).click();
	const row = page.locator('tr[data-model-id]', { hasText: 'e2e-test-server' });
	await expect(row).toBeVisible();
	const modelId = await row.getAttribute('data-model-id');
	await row.getByRole('button', { name: 'Test' }).click();
	// the test server's answer, shown under the model's row
	await expect(page.getByTestId(`answer-${modelId}`)).toContainText(/Answered in \d+ ms/);
	await expect(page.getByTestId(`answer-${modelId}`)).toContainText(/Regarding/);
	// No evaluation votes yet, so the verdict is "not yet known": the first click asks for a confirmation.
	await row.getByRole('button', { name: 'Make current', exact: true }).click();
	await row.getByRole('button', { name: 'Make current anyway' }).click();
	await expect(row.locator('[data-cell=status]')).toHaveText('current');

	// 2. prompts: a JSONL file through the upload form
	const stamp = Date.now().toString(36);
	const lines = [1, 2, 3].map((i) => JSON.stringify({ id: `e2e-${stamp}-${i}`, prompt: `Sampling question ${stamp} number ${i}`, domain: 'e2e' }));
	await page.goto('/admin/prompts');
	const importer = page.locator('section', { has: page.getByRole('heading', { name: 'Import prompts' }) });
	await importer.locator('input[type=file]').setInputFiles({ name: 'e2e.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines.join('\n') + '\n') });
	await importer.getByRole('button', { name: 'Import prompts' }).click();
	await expect(importer).toContainText(/3/);

	// 3. a sampling job over those prompts, watched until it is done
	await page.goto('/admin/sampling');
	await page.getByLabel('Domain').selectOption('e2e');
	await page.getByLabel(/Priority/).fill('50');
	await page.getByRole('button', { name: 'Start sampling' }).click();
	await page.waitForURL(/\/admin\/jobs\//);
	await expect(page.getByTestId('job-status')).toHaveText('succeeded', { timeout: 30_000 });
	await expect(page.getByTestId('job-pairs')).toHaveText('3');
	await expect(page.getByTestId('job-progress')).toContainText('6 of 6 replies done');
	await context.close();

	// 4. an annotator gets one of the new pairs first (priority 50) and ranks it
	const annotator = { email: `sampled-ranker-${stamp}@example.com`, password: 'ranker-password-1' };
	await submitOrFail(adminClient, '/admin/users', 'create', { ...annotator, displayName: 'Sampled Ranker', role: 'annotator' });
	const annotatorClient = await signIn(playwright, annotator.email, annotator.password);
	const ranking = await browser.newContext({ baseURL: BASE_URL, storageState: await annotatorClient.storageState() });
	const rankPage = await ranking.newPage();
	await rankPage.goto('/rank');
	await expect(rankPage.getByTestId('stage')).toContainText(`Sampling question ${stamp}`);
	await expect(rankPage.getByTestId('reply-A')).not.toContainText('pre-written');
	await rankPage.keyboard.press('a');
	await rankPage.keyboard.press('2');
	await rankPage.keyboard.press('Enter');
	await expect(rankPage.getByTestId('progress-total')).toHaveText('1');
	await ranking.close();
	await annotatorClient.dispose();
	await adminClient.dispose();
});
