import { expect, test, type Page } from '@playwright/test';
import { demo, openHydrated, signIn, submitOrFail, type Playwright } from './support/app';

// The annotator's loop in a real browser, keys only. Each test signs in a
// fresh annotator (made by the demo admin), so the counts are theirs alone.

async function newAnnotator(playwright: Playwright): Promise<{ email: string; password: string }> {
	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	const account = { email: `ranker-${crypto.randomUUID().slice(0, 8)}@example.com`, password: 'ranker-password-1' };
	await submitOrFail(admin, '/admin/users', 'create', { ...account, displayName: 'Ranker', role: 'annotator' });
	await admin.dispose();
	return account;
}

async function signInInBrowser(page: Page, account: { email: string; password: string }): Promise<void> {
	await openHydrated(page, '/login');
	await page.getByLabel('Email').fill(account.email);
	await page.getByLabel('Password').fill(account.password);
	await page.keyboard.press('Enter');
	await page.waitForURL('/');
}

type Shown = { pairId: string; left: string; right: string };

async function shown(page: Page): Promise<Shown> {
	const stage = page.getByTestId('stage');
	await expect(stage).toHaveAttribute('data-pair-id', /.+/);
	return {
		pairId: (await stage.getAttribute('data-pair-id'))!,
		left: (await page.getByTestId('reply-A').getAttribute('data-candidate-id'))!,
		right: (await page.getByTestId('reply-B').getAttribute('data-candidate-id'))!
	};
}

async function press(page: Page, keys: string[]): Promise<void> {
	for (const key of keys) await page.keyboard.press(key);
}

test('an annotator ranks five pairs with the keyboard only, and a reload in the middle loses nothing', async ({ page, playwright }) => {
	const account = await newAnnotator(playwright);
	await signInInBrowser(page, account);
	await openHydrated(page, '/rank');

	const plan: Array<{ keys: string[]; chosen: 'left' | 'right' | null; strength: number | null }> = [
		{ keys: ['a', '3'], chosen: 'left', strength: 3 },
		{ keys: ['ArrowRight', '1'], chosen: 'right', strength: 1 },
		{ keys: ['t'], chosen: null, strength: null },
		{ keys: ['b', '4'], chosen: 'right', strength: 4 },
		{ keys: ['o'], chosen: null, strength: null }
	];
	const expected: Array<{ pairId: string; left: string; chosen: string; strength: string }> = [];
	for (const [i, step] of plan.entries()) {
		const pair = await shown(page);
		await press(page, step.keys);
		if (i === 2) {
			// half-way through a judgment: the choice is made, not yet sent
			await page.reload();
			expect(await shown(page)).toEqual(pair);
			await expect(page.getByRole('radio', { name: /Tie/ })).toBeChecked();
		}
		await page.keyboard.press('Enter');
		await expect(page.getByTestId('stage')).not.toHaveAttribute('data-pair-id', pair.pairId);
		expected.push({
			pairId: pair.pairId,
			left: pair.left,
			chosen: step.chosen === 'left' ? pair.left : step.chosen === 'right' ? pair.right : '',
			strength: step.strength === null ? '' : String(step.strength)
		});
	}
	await expect(page.getByTestId('progress-total')).toHaveText('5');
	await expect(page.getByTestId('outbox')).toHaveCount(0);
	// Focus stays on the pair after every step, so the keys keep working without a click.
	await expect(page.getByTestId('stage')).toBeFocused();

	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	const html = await (await admin.get('/admin/queue')).text();
	for (const want of expected) {
		// The row of the recent-judgments table: a pair handed out as a gold check (1 in 20) is also a row of the checks table.
		const row = html.match(new RegExp(`<tr data-pair-id="${want.pairId}" data-left-candidate[^>]*>`))?.[0] ?? '';
		expect(row, `judgment of pair ${want.pairId}`).toContain(`data-left-candidate="${want.left}"`);
		expect(row).toContain(`data-chosen-candidate="${want.chosen}"`);
		expect(row).toContain(`data-strength="${want.strength}"`);
	}
	expect(html.match(/Ranker/g)?.length).toBeGreaterThanOrEqual(5);
	await admin.dispose();
});

test('a judgment made offline is kept, shown as waiting, and sent once the connection returns', async ({ page, context, playwright }) => {
	const account = await newAnnotator(playwright);
	await signInInBrowser(page, account);
	await openHydrated(page, '/rank');
	const first = await shown(page);

	await context.setOffline(true);
	await press(page, ['a', '2', 'Enter']);
	await expect(page.getByTestId('outbox')).toContainText('No connection');
	// the prefetched pair is already there: work goes on while offline
	expect((await shown(page)).pairId).not.toBe(first.pairId);

	await context.setOffline(false);
	await expect(page.getByTestId('outbox')).toHaveCount(0, { timeout: 15_000 });
	await expect(page.getByTestId('progress-total')).toHaveText('1');

	// a reload finds the same count on the server: recorded once
	await page.reload();
	await expect(page.getByTestId('progress-total')).toHaveText('1');
});

test('undo brings the last pair back with its choice; skip moves on; ? shows the keys', async ({ page, playwright }) => {
	const account = await newAnnotator(playwright);
	await signInInBrowser(page, account);
	await openHydrated(page, '/rank');
	const first = await shown(page);
	await press(page, ['b', '2', 'Enter']);
	await expect(page.getByTestId('stage')).not.toHaveAttribute('data-pair-id', first.pairId);
	await expect(page.getByTestId('progress-total')).toHaveText('1');

	await page.keyboard.press('u');
	await expect(page.getByTestId('stage')).toHaveAttribute('data-pair-id', first.pairId);
	await expect(page.getByRole('radio', { name: /B is better/ })).toBeChecked();
	await expect(page.getByRole('radio', { name: /slightly/ })).toBeChecked();
	await press(page, ['t', 'Enter']);
	await expect(page.getByTestId('stage')).not.toHaveAttribute('data-pair-id', first.pairId);

	const second = await shown(page);
	await page.keyboard.press('s');
	await expect(page.getByTestId('stage')).not.toHaveAttribute('data-pair-id', second.pairId);

	await page.keyboard.press('?');
	await expect(page.getByRole('dialog', { name: 'Keyboard' })).toBeVisible();
	await page.keyboard.press('Escape');
	await expect(page.getByRole('dialog', { name: 'Keyboard' })).toBeHidden();
	await page.reload();
	await expect(page.getByTestId('progress-total')).toHaveText('1');
});

test('a judgment the server keeps failing is parked with its message, the next one is sent, and retry saves it', async ({ page, playwright }) => {
	// five tries with back-off (about 8–15 s) before the judgment is parked
	test.setTimeout(60_000);
	const account = await newAnnotator(playwright);
	await signInInBrowser(page, account);
	await openHydrated(page, '/rank');
	const failing = await shown(page);
	let failures = 0;
	await page.route('**/api/v1/rank/judgments', async (route) => {
		const body = route.request().postDataJSON() as { judgment: { pairId: string } };
		if (body.judgment.pairId !== failing.pairId) return route.continue();
		failures++;
		await route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ message: 'The database is restarting.' }) });
	});

	await press(page, ['a', '3', 'Enter']);
	const next = await shown(page);
	expect(next.pairId).not.toBe(failing.pairId);
	await press(page, ['t', 'Enter']);

	const parked = page.getByTestId('parked-judgment');
	await expect(parked).toHaveAttribute('data-pair-id', failing.pairId, { timeout: 20_000 });
	await expect(parked).toContainText('500');
	await expect(parked).toContainText('The database is restarting.');
	expect(failures).toBe(5);
	// the judgment behind it did not wait
	await expect(page.getByTestId('progress-total')).toHaveText('1');

	await page.unroute('**/api/v1/rank/judgments');
	await parked.getByRole('button', { name: 'Retry' }).click();
	await expect(page.getByTestId('parked')).toHaveCount(0);
	await expect(page.getByTestId('progress-total')).toHaveText('2');
	await page.reload();
	await expect(page.getByTestId('progress-total')).toHaveText('2');
});

test('a parked judgment can be discarded: its pair comes back to be judged afresh', async ({ page, playwright }) => {
	test.setTimeout(60_000);
	const account = await newAnnotator(playwright);
	await signInInBrowser(page, account);
	await openHydrated(page, '/rank');
	const failing = await shown(page);
	await page.route('**/api/v1/rank/judgments', (route) =>
		route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ message: 'Try again later.' }) })
	);
	await press(page, ['o', 'Enter']);
	const parked = page.getByTestId('parked-judgment');
	await expect(parked).toContainText('Try again later.', { timeout: 20_000 });
	await page.unroute('**/api/v1/rank/judgments');

	await parked.getByRole('button', { name: 'Discard' }).click();
	await expect(page.getByTestId('parked')).toHaveCount(0);
	await expect(page.getByTestId('progress-total')).toHaveText('0');
	// it is back in hand, next after the pair on screen
	const onScreen = await shown(page);
	expect(onScreen.pairId).not.toBe(failing.pairId);
	await press(page, ['t', 'Enter']);
	await expect(page.getByTestId('stage')).toHaveAttribute('data-pair-id', failing.pairId);
	await expect(page.getByTestId('progress-total')).toHaveText('1');
});

test('an undo whose answer was lost can be asked again, and succeeds', async ({ page, playwright }) => {
	const account = await newAnnotator(playwright);
	await signInInBrowser(page, account);
	await openHydrated(page, '/rank');
	const first = await shown(page);
	await press(page, ['b', '4', 'Enter']);
	await expect(page.getByTestId('progress-total')).toHaveText('1');

	// the server undoes it, but the answer never reaches the page
	await page.route('**/api/v1/rank/undo', async (route) => {
		await route.fetch();
		await route.abort('connectionreset');
	});
	await page.keyboard.press('u');
	await expect(page.getByText(/Could not undo/)).toBeVisible();
	await page.unroute('**/api/v1/rank/undo');

	await page.keyboard.press('u');
	await expect(page.getByTestId('stage')).toHaveAttribute('data-pair-id', first.pairId);
	await expect(page.getByRole('radio', { name: /B is better/ })).toBeChecked();
	await expect(page.getByRole('radio', { name: /much/ })).toBeChecked();
	await expect(page.getByTestId('progress-total')).toHaveText('0');
});
