import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { z } from 'zod';
import { BASE_URL, demo, signIn } from './support/app';
import { newDatasetForm, publishNextVersion } from './support/datasets';

// An admin's round with datasets, in the browser: define one (a refused slug first, nothing typed is lost),
// publish v1 and watch it build, download a file and check it against the page, publish v2 and read its diff.
// The dataset holds prompts only: judgments younger than UNDO_SECONDS are left out of datasets (they can
// still be undone), so prompts are what the demo workspace has that both versions hold alike.

/** A prompt-only row as TRL reads it (src/lib/server/datasets/rows.ts PromptRow). */
const promptRowSchema = z.object({
	prompt: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1)
});

test('define a dataset, publish two versions, download a file and compare the versions', async ({ browser, playwright }) => {
	test.setTimeout(90_000);
	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await admin.storageState() });
	const page = await context.newPage();
	const stamp = Date.now().toString(36);
	const name = `E2E prompts ${stamp}`;
	const slug = `e2e-prompts-${stamp}`;

	// 1. the definition: the slug follows the name; capitals are refused, and the form keeps what was typed
	await page.goto('/admin/datasets');
	const form = newDatasetForm(page);
	await form.getByLabel('Name').fill(name);
	await expect(form.getByLabel('Slug')).toHaveValue(slug);
	await form.getByLabel('Slug').fill(`E2E-Prompts-${stamp}`);
	await form.getByRole('checkbox', { name: /^Preferences/ }).uncheck();
	await form.getByRole('checkbox', { name: /^SFT/ }).uncheck();
	await form.getByLabel('Test share (%)').fill('20');
	await form.getByRole('button', { name: 'Create dataset' }).click();
	await expect(form.locator('.field-error')).toHaveText(/lower-case letters, digits and dashes/);
	await expect(form.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');
	await expect(form.getByLabel('Name')).toHaveValue(name);
	await expect(form.getByLabel('Slug')).toHaveValue(`E2E-Prompts-${stamp}`);
	await expect(form.getByRole('checkbox', { name: /^Preferences/ })).not.toBeChecked();
	await expect(form.getByRole('checkbox', { name: /^Prompts/ })).toBeChecked();
	await expect(form.getByLabel('Test share (%)')).toHaveValue('20');
	await form.getByLabel('Slug').fill(slug);
	await form.getByRole('button', { name: 'Create dataset' }).click();
	await page.waitForURL(/\/admin\/datasets\/[0-9a-f-]{36}$/);
	const datasetUrl = new URL(page.url()).pathname;
	await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);

	// 2. v1: built in the background, then its files with sizes and hashes
	await publishNextVersion(page, datasetUrl, 1);
	const files = page.getByTestId('version-files');
	const train = files.locator('tr[data-path="prompts/train.jsonl"]');
	await expect(train.locator('[data-cell=sha256]')).toHaveText(/^[0-9a-f]{64}$/);
	await expect(train.locator('[data-cell=size]')).toHaveText(/^\d+(\.\d)? (bytes|KB|MB)$/);
	for (const path of ['prompts/test.jsonl', 'prompts/train.parquet', 'prompts/test.parquet', 'README.md'])
		await expect(files.locator(`tr[data-path="${path}"]`)).toBeVisible();
	await expect(files.locator('tr[data-path^="preference/"]')).toHaveCount(0);
	await expect(page.getByTestId('verify-command')).toHaveText(/^npm run dataset:verify -- file:\/\/\/.+\/v1\/?$/);
	const promptCounts = page.getByTestId('version-counts').locator('tr[data-kind=prompt] td');
	const trainRows = Number(await promptCounts.nth(1).textContent());
	expect(trainRows).toBeGreaterThan(0);

	// 3. the download is the file the page describes, line by line a prompt-only row
	const downloading = page.waitForEvent('download');
	await train.getByRole('link', { name: 'Download' }).click();
	const download = await downloading;
	expect(download.suggestedFilename()).toBe(`${slug}-v1-prompts-train.jsonl`);
	const bytes = await readFile(await download.path());
	expect(createHash('sha256').update(bytes).digest('hex')).toBe(await train.locator('[data-cell=sha256]').textContent());
	await expect(train.locator('[data-cell=size]')).toHaveAttribute('title', `${bytes.byteLength} bytes`);
	const lines = bytes.toString('utf8').split('\n').filter(Boolean);
	expect(lines).toHaveLength(trainRows);
	for (const line of lines) expect(promptRowSchema.safeParse(JSON.parse(line)).error).toBeUndefined();
	await expect(page.getByTestId('no-earlier-version')).toBeVisible();

	// 4. v2 of the same prompts: its diff against v1 adds, removes and changes nothing
	await publishNextVersion(page, datasetUrl, 2);
	const diff = page.getByTestId('version-diff');
	await expect(diff.getByRole('heading', { level: 2 })).toHaveText('Changes since v1');
	await expect(diff.getByLabel('Compare with')).toHaveValue('1');
	const prompts = diff.getByTestId('diff-kinds').locator('tr[data-kind=prompt]');
	await expect(prompts.locator('[data-cell=added]')).toHaveText('0');
	await expect(prompts.locator('[data-cell=removed]')).toHaveText('0');
	await expect(prompts.locator('[data-cell=changed]')).toHaveText('0');
	const total = Number(await page.getByTestId('version-counts').locator('tr[data-kind=prompt] td').nth(3).textContent());
	await expect(prompts.locator('[data-cell=unchanged]')).toHaveText(String(total));

	// 5. the list shows the dataset at its latest version
	await page.goto('/admin/datasets');
	const row = page.locator('table.datasets tr', { hasText: slug });
	await expect(row).toContainText('v2');
	await expect(row).toContainText('published');
	await context.close();
	await admin.dispose();
});

test('quality filters: a refused threshold names its field, and the page previews what the next version will contain', async ({ browser, playwright }) => {
	test.setTimeout(60_000);
	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await admin.storageState() });
	const page = await context.newPage();
	const stamp = Date.now().toString(36);
	await page.goto('/admin/datasets');
	const created = newDatasetForm(page);
	await created.getByLabel('Name').fill(`E2E quality ${stamp}`);
	await created.getByRole('button', { name: 'Create dataset' }).click();
	await page.waitForURL(/\/admin\/datasets\/[0-9a-f-]{36}$/);

	// before any filter: nobody left out, the votes and gold checks counted as the next version would freeze them
	const preview = page.getByTestId('version-preview');
	await expect(preview).toContainText('No quality filter is on');
	await expect(preview.getByTestId('preview-counts')).toContainText(/Votes kept\s*\d+ on \d+ pairs/);
	await expect(preview.getByTestId('preview-counts')).toContainText(/never preference rows/);

	// a threshold above 1 is refused on its field, and what was typed stays
	const definition = page.locator('form', { has: page.getByRole('heading', { name: 'Definition' }) });
	const filters = definition.getByTestId('quality-filters');
	await filters.getByLabel('Minimum check accuracy (0–1)').fill('1.5');
	await filters.getByLabel('Flags').selectOption('any');
	await definition.getByRole('button', { name: 'Save definition' }).click();
	await expect(filters.getByLabel('Minimum check accuracy (0–1)')).toHaveAttribute('aria-invalid', 'true');
	await expect(filters.locator('.field-error')).toContainText(/less than or equal to 1|<=1|at most 1/i);
	await expect(filters.getByLabel('Flags')).toHaveValue('any');

	// a good threshold is saved, and the preview reads the quality snapshot (or says there is none yet)
	await filters.getByLabel('Minimum check accuracy (0–1)').fill('0.7');
	await definition.getByRole('button', { name: 'Save definition' }).click();
	await expect(page.getByRole('status')).toContainText('Saved');
	await page.reload();
	await expect(page.getByTestId('version-preview')).toContainText(/Quality filters read the snapshot of|no quality figures yet|has none yet/);
	await context.close();
	await admin.dispose();
});
