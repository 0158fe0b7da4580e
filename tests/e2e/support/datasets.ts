import { expect, type Locator, type Page } from '@playwright/test';

/** The "New dataset" form on /admin/datasets. */
export function newDatasetForm(page: Page): Locator {
	return page.locator('form', { has: page.getByRole('heading', { name: 'New dataset' }) });
}

/**
 * A prompts-only dataset, defined through the form; answers its page's path. Prompts only: judgments younger
 * than UNDO_SECONDS are left out of datasets (they can still be undone), and prompts the demo workspace has for sure.
 */
export async function createPromptsDataset(page: Page, name: string): Promise<string> {
	await page.goto('/admin/datasets');
	const form = newDatasetForm(page);
	await form.getByLabel('Name').fill(name);
	await form.getByRole('checkbox', { name: /^Preferences/ }).uncheck();
	await form.getByRole('checkbox', { name: /^SFT/ }).uncheck();
	await form.getByRole('button', { name: 'Create dataset' }).click();
	await page.waitForURL(/\/admin\/datasets\/[0-9a-f-]{36}$/);
	return new URL(page.url()).pathname;
}

/** Publishes the dataset's next version from its page and waits for the build to finish as published. */
export async function publishNextVersion(page: Page, datasetUrl: string, version: number): Promise<void> {
	await page.goto(datasetUrl);
	await page.getByRole('button', { name: 'Publish new version' }).click();
	await page.waitForURL(`${datasetUrl}/v/${version}`);
	const status = page.getByTestId('version-status');
	// Building first (the progress bar), unless the job was quicker than the page; published either way.
	await expect(status).toHaveAttribute('data-status', /^(building|published)$/);
	await expect(status).toHaveAttribute('data-status', 'published', { timeout: 30_000 });
	await expect(page.getByTestId('version-progress')).toHaveCount(0);
}
