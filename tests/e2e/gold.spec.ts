import { expect, test, type Page } from '@playwright/test';
import { BASE_URL, demo, signIn, submitOrFail } from './support/app';

// Issue 5's round trip in the browser: an annotator edits a candidate from the ranking page,
// loses the network mid-edit and reloads (no text lost), submits; a reviewer asks for changes;
// the annotator revises; the reviewer approves; the example shows in the gallery with its history.

async function open(browser: import('@playwright/test').Browser, client: import('@playwright/test').APIRequestContext): Promise<Page> {
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await client.storageState() });
	return context.newPage();
}

test('edit a candidate into a gold example, through review and into the gallery', async ({ browser, playwright }) => {
	test.setTimeout(90_000);
	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	const stamp = Date.now().toString(36);
	const writer = { email: `gold-writer-${stamp}@example.com`, password: 'gold-writer-pass', displayName: 'Gold Writer', role: 'annotator' };
	await submitOrFail(admin, '/admin/users', 'create', writer);
	const page = await open(browser, await signIn(playwright, writer.email, writer.password));

	// from the ranking page: E edits the reply on the left
	await page.goto('/rank');
	const left = await page.getByTestId('reply-A').getAttribute('data-candidate-id');
	expect(left).toBeTruthy();
	await page.keyboard.press('e');
	await page.waitForURL(/\/gold\/[0-9a-f-]{36}$/);
	const editorUrl = page.url();
	const editor = page.getByTestId('gold-editor');
	await expect(editor).not.toHaveValue('');

	const first = `ok so here is the honest version ${stamp} :>`;
	await editor.fill(first);
	await editor.blur();
	await expect(page.getByTestId('gold-save-state')).toHaveAttribute('data-state', 'saved');

	// the network goes away mid-edit: saves fail, the text stays in the browser, a reload brings it back
	await page.route('**/api/v1/gold/**', (route) => route.abort());
	const offlineText = `${first} (typed while offline)`;
	await editor.fill(offlineText);
	await editor.blur();
	await expect(page.getByTestId('gold-save-state')).toHaveAttribute('data-state', 'offline');
	await page.reload();
	await expect(page.getByTestId('gold-editor')).toHaveValue(offlineText);
	await page.unroute('**/api/v1/gold/**');
	await expect(page.getByTestId('gold-save-state')).toHaveAttribute('data-state', 'saved', { timeout: 40_000 });
	await page.getByTestId('gold-submit').click();
	await expect(page.getByTestId('gold-status')).toHaveAttribute('data-status', 'submitted');

	// a reviewer asks for changes
	const reviewer = await open(browser, await signIn(playwright, demo.reviewer.email, demo.reviewer.password));
	const goldId = editorUrl.split('/').pop()!;
	await reviewer.goto(`/review/${goldId}`);
	await expect(reviewer.getByTestId('gold-diff')).toContainText('typed while offline');
	const form = reviewer.getByTestId('review-decision-form');
	await form.getByRole('button', { name: 'Request changes' }).click();
	await expect(reviewer.locator('.field-error, [role=alert]').first()).toBeVisible();
	await form.getByLabel(/Comment/).fill('More Lynn, please: a little joke at the end.');
	await form.getByRole('button', { name: 'Request changes' }).click();
	await expect(reviewer.getByTestId('gold-history')).toContainText('More Lynn, please');

	// the author sees the comment, revises and submits again
	await page.goto(editorUrl);
	await expect(page.getByTestId('gold-review')).toContainText('More Lynn, please');
	const revised = `${offlineText} Also I triple-checked, because of course I did.`;
	await page.getByTestId('gold-editor').fill(revised);
	await page.getByTestId('gold-editor').blur();
	await expect(page.getByTestId('gold-save-state')).toHaveAttribute('data-state', 'saved');
	await page.getByTestId('gold-submit').click();
	await expect(page.getByTestId('gold-status')).toHaveAttribute('data-status', 'submitted');

	// approved, and in the gallery with its history
	await reviewer.goto(`/review/${goldId}`);
	await reviewer.getByTestId('review-decision-form').getByRole('button', { name: 'Approve' }).click();
	await expect(reviewer.getByTestId('gold-history')).toContainText(/approved/i);
	await reviewer.goto(`/gold?q=${encodeURIComponent('triple-checked')}`);
	await expect(reviewer.locator(`a[href="/gold/${goldId}"]`).first()).toBeVisible();
	await reviewer.goto(`/review/${goldId}`);
	const history = reviewer.getByTestId('gold-history');
	await expect(history).toContainText('changes');
	await expect(history).toContainText(/approved/i);
	await admin.dispose();
});
