import { expect, test, type APIRequestContext, type Browser, type Locator, type Page } from '@playwright/test';
import { BASE_URL, demo, findUser, openHydrated, signIn, submitOrFail, type Playwright } from './support/app';

type Opened = { page: Page; client: APIRequestContext; close(): Promise<void> };

/** A browser signed in as the account: the session comes from the sign-in form, posted once without the UI. */
async function openAs(browser: Browser, playwright: Playwright, email: string, password: string): Promise<Opened> {
	const client = await signIn(playwright, email, password);
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await client.storageState() });
	const page = await context.newPage();
	return {
		page,
		client,
		async close() {
			await context.close();
			await client.dispose();
		}
	};
}

const unique = (name: string) => `${name.toLowerCase().replaceAll(' ', '-')}-${Date.now().toString(36)}@example.test`;

/** A user made by the admin for one test, signed in in a browser of their own. */
async function makeSignedInUser(browser: Browser, playwright: Playwright, admin: APIRequestContext, name: string) {
	const email = unique(name);
	const password = 'a-password-for-e2e';
	await submitOrFail(admin, '/admin/users', 'create', { email, displayName: name, role: 'annotator', password });
	const row = await findUser(admin, email);
	if (!row) throw new Error(`${email} was created but is not listed`);
	const user = await openAs(browser, playwright, email, password);
	await user.page.goto('/');
	await expect(user.page.getByRole('banner')).toContainText(`${name} · annotator`);
	return { ...user, id: row.id, email, password };
}

function card(page: Page, heading: string): Locator {
	return page.locator('section', { has: page.getByRole('heading', { name: heading }) });
}

let adminClient: APIRequestContext;
let admin: Opened;

// One admin session for the file (nothing here changes the admin), a fresh browser context per test.
test.beforeAll(async ({ playwright }) => {
	adminClient = await signIn(playwright, demo.admin.email, demo.admin.password);
});
test.afterAll(async () => {
	await adminClient.dispose();
});
test.beforeEach(async ({ browser }) => {
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await adminClient.storageState() });
	admin = { page: await context.newPage(), client: adminClient, close: () => context.close() };
});
test.afterEach(async () => {
	await admin.close();
});

test('an admin creates a user with the form, and the table lists them', async () => {
	const { page } = admin;
	const email = unique('created-in-the-ui');
	await page.goto('/admin/users');
	const form = card(page, 'Create a user');
	await form.getByLabel('Email').fill(email);
	await form.getByLabel('Name').fill('Created In The UI');
	await form.getByLabel('Role').selectOption('reviewer');
	await form.getByLabel(/^Password/).fill('a-long-enough-password');
	await form.getByRole('button', { name: 'Create' }).click();

	await expect(form.getByText(`Created ${email}.`)).toBeVisible();
	const row = page.getByRole('row').filter({ hasText: email });
	await expect(row).toContainText('Created In The UI');
	await expect(row).toContainText('reviewer');
	await expect(row).toContainText('active');
});

test('bad input is answered field by field, and no user is created', async () => {
	const { page, client } = admin;
	// Each value gets past the browser's own checks (required, type=email) and fails the server's.
	const email = 'no-top-level-domain@localhost';
	await page.goto('/admin/users');
	const form = card(page, 'Create a user');
	await form.getByLabel('Email').fill(email);
	await form.getByLabel('Name').fill('   ');
	await form.getByLabel(/^Password/).fill('short');
	await form.getByRole('button', { name: 'Create' }).click();

	await expect(form.locator('.field-error')).toHaveText(['Enter a valid email address.', 'Enter a name.', 'Use at least 10 characters.']);
	await expect(form.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
	await expect(form.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
	await expect(form.getByLabel(/^Password/)).toHaveAttribute('aria-invalid', 'true');
	await expect(form.getByLabel('Email'), 'what was typed stays').toHaveValue(email);
	await expect(form.getByLabel(/^Password/), 'a password is never sent back').toHaveValue('');
	expect(await findUser(client, email)).toBeUndefined();
});

test('clicking a header sorts and typing filters, and the URL keeps the view', async () => {
	const { page } = admin;
	await page.goto('/admin/users');
	const emails = () => page.locator('table.users tbody tr td:first-child').allTextContents();

	await page.getByRole('button', { name: 'Email', exact: true }).click();
	await expect(page).toHaveURL(/[?&]sort=email&dir=asc/);
	const ascending = await emails();
	expect(ascending.length).toBeGreaterThan(2);
	expect(ascending).toEqual([...ascending].sort());
	await expect(page.getByRole('columnheader', { name: /Email/ })).toHaveAttribute('aria-sort', 'ascending');

	await page.getByRole('button', { name: /^Email/ }).click();
	await expect(page).toHaveURL(/[?&]sort=email&dir=desc/);
	await expect.poll(emails).toEqual([...ascending].reverse());

	await page.getByLabel('Search').fill('reviewer@');
	await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('reviewer@');
	await expect.poll(emails).toEqual([demo.reviewer.email]);
	expect(new URL(page.url()).searchParams.get('sort'), 'the sort survives the filter').toBe('email');

	await page.getByLabel('Search').fill('');
	await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBeNull();
	const roleFilter = page.locator('form.filters').getByLabel('Role');
	await roleFilter.selectOption('admin');
	await expect(page).toHaveURL(/[?&]role=admin/);
	const roles = () => page.locator('table.users tbody tr td:nth-child(3)').allTextContents();
	await expect.poll(async () => [...new Set(await roles())]).toEqual(['admin']);

	// A reload shows the same view: the URL is the table's state.
	const url = page.url();
	await page.reload();
	expect(page.url()).toBe(url);
	await expect(roleFilter).toHaveValue('admin');
});

test('disabling a user ends their open session at once', async ({ browser, playwright }) => {
	const user = await makeSignedInUser(browser, playwright, admin.client, 'Soon Disabled');
	try {
		await admin.page.goto(`/admin/users/${user.id}`);
		await admin.page.getByRole('button', { name: 'Disable account' }).click();
		await expect(admin.page.getByRole('status')).toHaveText('Account disabled and signed out everywhere.');

		await user.page.reload();
		await expect(user.page).toHaveURL(/\/login\?redirectTo=%2F$/);
	} finally {
		await user.close();
	}
});

test('changing a role ends their open session at once, and the next sign-in carries the new role', async ({ browser, playwright }) => {
	const user = await makeSignedInUser(browser, playwright, admin.client, 'Soon Reviewer');
	try {
		await openHydrated(admin.page, `/admin/users/${user.id}`);
		await admin.page.getByLabel('Role').selectOption('reviewer');
		await admin.page.getByRole('button', { name: 'Change role' }).click();
		await expect(admin.page.getByRole('status')).toHaveText(/^Role changed to reviewer/);

		await user.page.reload();
		await expect(user.page).toHaveURL(/\/login\?redirectTo=%2F$/);
		await user.page.getByLabel('Email').fill(user.email);
		await user.page.getByLabel('Password').fill(user.password);
		await user.page.getByRole('button', { name: 'Sign in' }).click();
		await expect(user.page.getByRole('banner')).toContainText('Soon Reviewer · reviewer');
	} finally {
		await user.close();
	}
});

test('an invite link made in the UI lets the invitee set a password and sign straight in, once', async ({ browser }) => {
	const { page } = admin;
	const email = unique('invited-in-the-ui');
	await page.goto('/admin/users');
	const invite = card(page, 'Invite someone');
	await invite.getByLabel('Email').fill(email);
	await invite.getByLabel('Role').selectOption('reviewer');
	await invite.getByRole('button', { name: 'Create invite link' }).click();
	const link = await invite.locator('input.invite-link').inputValue();
	expect(link).toMatch(/\/invite\/[a-z0-9]+$/);

	const context = await browser.newContext({ baseURL: BASE_URL });
	const guest = await context.newPage();
	await guest.goto(link);
	await guest.getByLabel('Your name').fill('Invited Reviewer');
	await guest.getByLabel('Password (at least 10 characters)').fill('invited-password-1');
	await guest.getByLabel('Password again').fill('invited-password-1');
	await guest.getByRole('button', { name: 'Create my account' }).click();
	await guest.waitForURL('/');
	await expect(guest.getByRole('banner')).toContainText('Invited Reviewer · reviewer');

	await guest.goto(link);
	await expect(guest.getByRole('button', { name: 'Create my account' })).toHaveCount(0);
	await context.close();
});

test('a password reset in the UI replaces the old password', async ({ browser, playwright }) => {
	const user = await makeSignedInUser(browser, playwright, adminClient, 'Reset Me');
	const { page } = admin;
	await page.goto(`/admin/users/${user.id}`);
	const reset = card(page, 'Reset password');
	await reset.getByLabel('New password').fill('a-brand-new-password');
	await reset.getByLabel('Type it again').fill('a-brand-new-password');
	await reset.getByRole('button', { name: 'Reset password' }).click();
	// Wait for the answer: "no field error" alone is true before the form has even been sent.
	await expect(page.getByRole('status')).toContainText('Password reset; they were signed out everywhere');
	await expect(reset.locator('.field-error')).toHaveCount(0);

	await user.page.goto('/');
	await expect(user.page).toHaveURL(/\/login/);
	const again = await signIn(playwright, user.email, 'a-brand-new-password');
	await again.dispose();
	await user.close();
});
