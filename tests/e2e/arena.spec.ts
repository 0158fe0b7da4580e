import { expect, test, type Page } from '@playwright/test';
import { BASE_URL, demo, openHydrated, signIn } from './support/app';
import { MODEL_BASE_URL } from './support/server';

// Arena mode in the browser: an admin makes the OpenAI-compatible test server the current model,
// registers a second version of it as the candidate, types a prompt, gets both replies live and
// blind, votes with the keys, and only then sees which model wrote which reply.

async function register(page: Page, name: string, model: string): Promise<string> {
	await openHydrated(page, '/admin/models');
	const form = page.locator('section', { has: page.getByRole('heading', { name: 'Register a model version' }) });
	await form.getByLabel('Name').fill(name);
	await form.getByLabel('Base URL').fill(MODEL_BASE_URL);
	await form.getByLabel('Model', { exact: true }).fill(model);
	await form.getByRole('button', { name: 'Register' }).click();
	const row = page.locator('tr[data-model-id]', { hasText: name });
	await expect(row).toBeVisible();
	return (await row.getAttribute('data-model-id'))!;
}

test('an admin types a prompt, gets two blind replies, votes, and sees who wrote which', async ({ browser, playwright }) => {
	test.setTimeout(90_000);
	const stamp = Date.now().toString(36);
	const adminClient = await signIn(playwright, demo.admin.email, demo.admin.password);
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await adminClient.storageState() });
	const page = await context.newPage();

	const current = `arena-current-${stamp}`;
	const candidate = `arena-candidate-${stamp}`;
	await register(page, current, 'policy-v7');
	// no evaluation votes for it yet, so the verdict is "not yet known" and the first click asks for a confirmation
	const row = page.locator('tr[data-model-id]', { hasText: current });
	await row.getByRole('button', { name: 'Make current', exact: true }).click();
	await row.getByRole('button', { name: 'Make current anyway' }).click();
	await expect(row.locator('[data-cell=status]')).toHaveText('current');
	await register(page, candidate, 'policy-v8');

	await openHydrated(page, '/arena');
	// current against the newest candidate, unless the admin picks others
	await expect(page.getByLabel('First model').locator('option:checked')).toHaveText(new RegExp(current));
	await expect(page.getByLabel('Second model').locator('option:checked')).toHaveText(new RegExp(candidate));
	await page.getByLabel('Prompt').fill(`Arena question ${stamp}: what is a monad, briefly?`);
	await page.getByRole('button', { name: 'Get replies' }).click();

	const battle = page.getByTestId('battle');
	await expect(battle).toContainText(`Arena question ${stamp}`);
	await expect(page.getByTestId('reply-A')).toContainText(/\w/);
	await expect(page.getByTestId('reply-B')).toContainText(/\w/);
	// blind: no model's name anywhere before the vote
	await expect(page.locator('main')).not.toContainText(candidate);
	await expect(page.getByTestId('reveal')).toHaveCount(0);

	await battle.focus();
	await page.keyboard.press('b');
	await page.keyboard.press('3');
	await page.keyboard.press('Enter');
	const reveal = page.getByTestId('reveal');
	await expect(reveal).toBeVisible();
	const named = [await page.getByTestId('reveal-left').textContent(), await page.getByTestId('reveal-right').textContent()].join(' ');
	expect(named).toContain(`${current} (current)`);
	expect(named).toContain(`${candidate} (candidate)`);

	await page.getByRole('button', { name: 'Another prompt' }).click();
	await expect(page.getByLabel('Prompt')).toHaveValue('');
	await context.close();
	await adminClient.dispose();
});

test('on a phone the two replies stack', async ({ browser, playwright }) => {
	const adminClient = await signIn(playwright, demo.admin.email, demo.admin.password);
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await adminClient.storageState(), viewport: { width: 390, height: 844 } });
	const page = await context.newPage();
	await openHydrated(page, '/arena');
	await page.getByLabel('Prompt').fill(`Phone question ${Date.now().toString(36)}`);
	await page.getByRole('button', { name: 'Get replies' }).click();
	await expect(page.getByTestId('reply-B')).toBeVisible();
	const [a, b] = [await page.getByTestId('reply-A').boundingBox(), await page.getByTestId('reply-B').boundingBox()];
	expect(b!.y).toBeGreaterThan(a!.y + a!.height - 1);
	expect(a!.width).toBeLessThanOrEqual(390);
	await context.close();
	await adminClient.dispose();
});
