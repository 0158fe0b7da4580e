import { expect, test, type Page } from '@playwright/test';
import { demo, type Role } from './support/app';

const GENERIC_REFUSAL = 'That email and password do not match an active account.';
const THROTTLED = /Too many sign-in attempts\. Please wait \d+ minutes? and try again\./;

async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

test.describe('the printed demo logins', () => {
	for (const role of ['annotator', 'reviewer', 'admin'] satisfies Role[]) {
		test(`sign the ${role} in, with name and role in the header`, async ({ page }) => {
			const account = demo[role];
			await page.goto('/login');
			await submitSignIn(page, account.email, account.password);
			await expect(page).toHaveURL('/');
			await expect(page.getByRole('banner')).toContainText(`${account.displayName} · ${role}`);
			await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Hi ${account.displayName} :>`);
		});
	}
});

test('an annotator sees no Admin link and is refused /admin with 403', async ({ page }) => {
	await page.goto('/login');
	await submitSignIn(page, demo.annotator.email, demo.annotator.password);
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
	await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
	const response = await page.goto('/admin');
	expect(response?.status()).toBe(403);
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('403');
});

test('a wrong password and an unknown email get the same words', async ({ page }) => {
	await page.goto('/login');
	await submitSignIn(page, demo.reviewer.email, 'not-the-reviewer-password');
	await expect(page.getByRole('alert')).toHaveText(GENERIC_REFUSAL);
	await expect(page).toHaveURL('/login');

	await submitSignIn(page, 'nobody-here@example.test', 'not-anyones-password');
	await expect(page.getByRole('alert')).toHaveText(GENERIC_REFUSAL);
	await expect(page).toHaveURL('/login');
});

test('repeated wrong passwords for one email lock it for minutes, known account or not', async ({ page }) => {
	// An address no account has, so no demo login is locked; it must be throttled all the same.
	const email = 'throttle-me@example.test';
	await page.goto('/login');
	// The throttle lets 5 failures per email through (src/lib/server/auth/throttle.ts); each still gets the
	// generic refusal. It also locks an address after 20: the whole suite, all from 127.0.0.1, stays far below.
	// Every attempt waits for its own answer: the refusal's words do not change between attempts, so
	// waiting for them alone could let the next submit overtake an answer still on its way.
	const answered = () => page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login');
	for (let attempt = 1; attempt <= 5; attempt++) {
		await Promise.all([answered(), submitSignIn(page, email, `wrong-password-${attempt}`)]);
		await expect(page.getByRole('alert')).toHaveText(GENERIC_REFUSAL);
	}
	await Promise.all([answered(), submitSignIn(page, email, 'wrong-password-6')]);
	await expect(page.getByRole('alert')).toHaveText(THROTTLED);
	await expect(page).toHaveURL('/login');
});

test('sign out ends the session', async ({ page }) => {
	await page.goto('/login');
	await submitSignIn(page, demo.reviewer.email, demo.reviewer.password);
	await expect(page.getByRole('banner')).toContainText(demo.reviewer.displayName);
	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL('/login');
	await expect(page.getByRole('banner')).not.toContainText(demo.reviewer.displayName);
	// The cookie is gone and so is the session: the home page asks for a sign-in again.
	await page.goto('/');
	await expect(page).toHaveURL('/login?redirectTo=%2F');
});

test('keyboard only: Tab to email, type, Tab, type, Enter signs in', async ({ page }) => {
	await page.goto('/login');
	const email = page.getByLabel('Email');
	// Past the header's links to the first field; a login page that needs more than a few Tabs is a bug.
	for (let presses = 0; presses < 4 && !(await email.evaluate((el) => el === document.activeElement)); presses++)
		await page.keyboard.press('Tab');
	await expect(email).toBeFocused();
	await page.keyboard.type(demo.annotator.email);
	await page.keyboard.press('Tab');
	await expect(page.getByLabel('Password')).toBeFocused();
	await page.keyboard.type(demo.annotator.password);
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL('/');
	await expect(page.getByRole('banner')).toContainText(`${demo.annotator.displayName} · annotator`);
});
