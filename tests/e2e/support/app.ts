import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type APIRequestContext, type APIResponse, type Page, type PlaywrightWorkerArgs } from '@playwright/test';
import ts from 'typescript';
import { BASE_URL } from './server';

export { BASE_URL };

/** The `playwright` fixture (its `request` makes API clients). */
export type Playwright = PlaywrightWorkerArgs['playwright'];

export type Role = 'annotator' | 'reviewer' | 'admin';
export type DemoAccount = { role: Role; email: string; displayName: string; password: string };

/**
 * The demo logins the server prints at start, read from their one definition
 * (`demoAccounts` in src/lib/server/demo/seed.ts) rather than copied here.
 * The module itself cannot be imported outside Vite (it loads `?raw` assets).
 */
export function readDemoAccounts(): Record<Role, DemoAccount> {
	const file = path.resolve('src/lib/server/demo/seed.ts');
	const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
	const declaration = source.statements
		.filter(ts.isVariableStatement)
		.flatMap((s) => [...s.declarationList.declarations])
		.find((d) => ts.isIdentifier(d.name) && d.name.text === 'demoAccounts');
	const list = declaration?.initializer;
	if (!list || !ts.isArrayLiteralExpression(list)) throw new Error(`${file}: demoAccounts is no longer an array literal`);
	const accounts = list.elements.map((element) => {
		if (!ts.isObjectLiteralExpression(element)) throw new Error(`${file}: a demo account is not an object literal`);
		const fields: Record<string, string> = {};
		for (const property of element.properties)
			if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name) && ts.isStringLiteral(property.initializer))
				fields[property.name.text] = property.initializer.text;
		return fields as DemoAccount;
	});
	const byRole = (role: Role): DemoAccount => {
		const account = accounts.find((a) => a.role === role);
		if (!account?.email || !account.password) throw new Error(`${file}: no demo ${role} with an email and password`);
		return account;
	};
	return { annotator: byRole('annotator'), reviewer: byRole('reviewer'), admin: byRole('admin') };
}

export const demo = readDemoAccounts();

/** A cookie jar of its own, speaking to the test server as a same-origin browser form would. */
export function newClient(playwright: Playwright): Promise<APIRequestContext> {
	return playwright.request.newContext({ baseURL: BASE_URL, extraHTTPHeaders: { origin: BASE_URL } });
}

/** A fresh session for the account, made by POSTing the sign-in form (no JavaScript, as a plain browser would). */
export async function signIn(playwright: Playwright, email: string, password: string): Promise<APIRequestContext> {
	const client = await newClient(playwright);
	const response = await client.post('/login', {
		form: { email, password },
		headers: { accept: 'text/html' },
		maxRedirects: 0
	});
	expect(response.status(), `signing in as ${email}`).toBe(303);
	expect(response.headers()['location']).toBe('/');
	return client;
}

/** Whether the client's session cookie still names a live session. */
export async function isSignedIn(client: APIRequestContext): Promise<boolean> {
	const response = await client.get('/', { maxRedirects: 0 });
	if (response.status() === 200) return true;
	expect(response.status(), 'home page for a signed-out client').toBe(303);
	return false;
}

export type ActionAnswer = { httpStatus: number; body: { type?: string; status?: number; location?: string; data?: string } };

/**
 * Submits a form action the way `use:enhance` does (JSON answer), so the
 * result says precisely whether the action ran: `failure` (the action's own
 * validation), `error` (a guard or crash), `redirect`, or `success`.
 */
export async function submitAction(
	client: APIRequestContext,
	pagePath: string,
	action: string,
	form: Record<string, string> = {}
): Promise<ActionAnswer> {
	const url = action === 'default' ? pagePath : `${pagePath}?/${action}`;
	const response = await client.post(url, {
		form,
		headers: { accept: 'application/json', 'x-sveltekit-action': 'true' },
		maxRedirects: 0
	});
	return { httpStatus: response.status(), body: await jsonOf(response) };
}

async function jsonOf(response: APIResponse): Promise<ActionAnswer['body']> {
	const text = await response.text();
	try {
		return JSON.parse(text) as ActionAnswer['body'];
	} catch {
		return { type: `not JSON: ${text.slice(0, 80)}` };
	}
}

/** Submits an action that must succeed (test set-up); returns its devalue-encoded data. */
export async function submitOrFail(
	client: APIRequestContext,
	pagePath: string,
	action: string,
	form: Record<string, string>
): Promise<string> {
	const answer = await submitAction(client, pagePath, action, form);
	expect(answer.body, `${pagePath} ?/${action} answered ${answer.httpStatus} ${JSON.stringify(answer.body)}`).toMatchObject({
		type: 'success'
	});
	return answer.body.data ?? '';
}

// The admin pages are read as HTML, as a person sees them: the server-rendered
// tables are the public surface, the database stays inside the server process.

export type UserRow = { id: string; email: string; displayName: string; role: string; status: string };
export type InviteRow = { id: string; email: string; role: string };

function cellsOf(rowHtml: string): string[] {
	return [...rowHtml.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) =>
		(m[1] ?? '').replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
	);
}

function rowsOf(tableHtml: string): string[] {
	return [...tableHtml.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1] ?? '');
}

async function adminUsersPage(admin: APIRequestContext, query = ''): Promise<string> {
	const response = await admin.get(`/admin/users${query}`, { maxRedirects: 0 });
	expect(response.status(), `GET /admin/users${query} as admin`).toBe(200);
	return response.text();
}

/** The users table on /admin/users, searched for `q` (email or name). */
export async function findUsers(admin: APIRequestContext, q: string): Promise<UserRow[]> {
	const html = await adminUsersPage(admin, `?${new URLSearchParams({ q })}`);
	const table = /<table class="users[^"]*"[\s\S]*?<\/table>/.exec(html)?.[0];
	if (!table) throw new Error('/admin/users has no <table class="users">; update tests/e2e/support/app.ts');
	return rowsOf(table).flatMap((row) => {
		const id = /href="\/admin\/users\/([0-9a-f-]{36})"/.exec(row)?.[1];
		const [email, displayName, role, status] = cellsOf(row);
		return id && email ? [{ id, email, displayName: displayName ?? '', role: role ?? '', status: status ?? '' }] : [];
	});
}

export async function findUser(admin: APIRequestContext, email: string): Promise<UserRow | undefined> {
	return (await findUsers(admin, email)).find((row) => row.email === email);
}

/** The open invites table on /admin/users (absent when there are none). */
export async function openInvites(admin: APIRequestContext): Promise<InviteRow[]> {
	const html = await adminUsersPage(admin);
	const section = /<h2>Open invites<\/h2>[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
	return rowsOf(section).flatMap((row) => {
		const input = /<input[^>]*name="inviteId"[^>]*>/.exec(row)?.[0] ?? '';
		const id = /value="([^"]+)"/.exec(input)?.[1];
		const [email, role] = cellsOf(row);
		return id && email ? [{ id, email, role: role ?? '' }] : [];
	});
}

/**
 * Opens a page and waits until its scripts have loaded and run: a form filled
 * before hydration can be reset by it (a typed email cleared, a chosen option
 * set back), which on a busy machine made specs type into a page that then
 * forgot it.
 */
export async function openHydrated(page: Page, url: string): Promise<void> {
	await page.goto(url, { waitUntil: 'networkidle' });
}
