import { expect, test, type APIRequestContext } from '@playwright/test';
import { BASE_URL, demo, openHydrated, signIn, submitOrFail, type Playwright } from './support/app';
import { MODEL_BASE_URL } from './support/server';

/*
 * Evidence before "Make current", in the browser: two versions served by the
 * OpenAI-compatible test server, the admin sizes rounds on the Evaluation page,
 * starts a round from the candidate's page, the sampling job runs, two
 * annotators vote blind through the rank API (preferring the candidate's
 * reply, which only the admin's pair page can tell them), and the candidate's
 * page then says "better", the leaderboard draws its chart, and "Make current"
 * promotes it without asking twice. Runs after the other specs
 * (playwright.config.ts, 'chromium-late').
 */

const modelFields = { baseUrl: MODEL_BASE_URL, model: 'policy-v7', apiKeyEnv: '', temperature: '', top_p: '', max_tokens: '', seed: '' };

/** Which model wrote each reply of a pair, as the admin's pair page shows it (annotators never see it). */
async function modelsOfPair(admin: APIRequestContext, pairId: string): Promise<Map<string, string>> {
	const html = await (await admin.get(`/admin/queue/pairs/${pairId}`)).text();
	const replies = [...html.matchAll(/data-candidate-id="([^"]+)"[\s\S]*?<p class="muted">([^<]*?) · /g)];
	return new Map(replies.map(([, candidateId, model]) => [candidateId!, model!.trim()]));
}

type Pair = { pairId: string; leftCandidateId: string };
type Annotator = { client: APIRequestContext; inHand: Pair[] };

async function newAnnotator(playwright: Playwright, admin: APIRequestContext, n: number): Promise<Annotator> {
	const account = { email: `evaluation-${n}-${crypto.randomUUID().slice(0, 6)}@example.com`, password: 'evaluation-password-1' };
	await submitOrFail(admin, '/admin/users', 'create', { ...account, displayName: `Evaluator ${n}`, role: 'annotator' });
	const client = await signIn(playwright, account.email, account.password);
	return { client, inHand: (await (await client.get('/api/v1/rank/pairs')).json()).pairs };
}

/**
 * The annotators take turns, each with the first pair in their hand: an evaluation pair gets a vote for
 * `winner`'s reply, any other pair is passed on. Turns go on until `count` votes, so no evaluation pair is
 * left leased to someone who stopped (each answer hands the next pairs out).
 */
async function voteFor(admin: APIRequestContext, annotators: Annotator[], winner: string, count: number): Promise<number[]> {
	const votes = annotators.map(() => 0);
	while (votes.reduce((a, b) => a + b, 0) < count && annotators.some((a) => a.inHand.length)) {
		for (const [i, annotator] of annotators.entries()) {
			const [pair] = annotator.inHand;
			if (!pair) continue;
			const models = await modelsOfPair(admin, pair.pairId);
			const evaluated = [...models.values()].includes(winner);
			const preferred = models.get(pair.leftCandidateId) === winner ? 'left' : 'right';
			const response = evaluated
				? await annotator.client.post('/api/v1/rank/judgments', {
						data: { judgment: { clientId: crypto.randomUUID(), pairId: pair.pairId, preferred, strength: 3, durationMs: 8000 } }
					})
				: await annotator.client.post('/api/v1/rank/skips', { data: { pairId: pair.pairId } });
			expect(response.status(), await response.text()).toBe(200);
			if (evaluated) votes[i]!++;
			annotator.inHand = (await response.json()).pairs;
		}
	}
	return votes;
}

test('start a round from a candidate’s page, vote blind, see the verdict and the leaderboard chart', async ({ browser, playwright }) => {
	test.setTimeout(120_000);
	const stamp = Date.now().toString(36);
	const [baseline, candidate] = [`eval-baseline-${stamp}`, `eval-candidate-${stamp}`];
	const admin = await signIn(playwright, demo.admin.email, demo.admin.password);
	for (const name of [baseline, candidate]) await submitOrFail(admin, '/admin/models', 'create', { name, ...modelFields });
	const context = await browser.newContext({ baseURL: BASE_URL, storageState: await admin.storageState() });
	const page = await context.newPage();

	// 1. the baseline becomes current: no evaluation votes back it, so the first press asks for a confirmation
	await openHydrated(page, '/admin/models');
	const baselineRow = page.locator('tr[data-model-id]', { hasText: baseline });
	await baselineRow.getByRole('button', { name: 'Make current', exact: true }).click();
	await expect(baselineRow.getByRole('alert')).toContainText('not yet known');
	await baselineRow.getByRole('button', { name: 'Make current anyway' }).click();
	await expect(baselineRow.locator('[data-cell=status]')).toHaveText('current');
	const candidateId = await page.locator('tr[data-model-id]', { hasText: candidate }).getAttribute('data-model-id');

	// 2. rounds of 12 prompts, one annotator per pair, a verdict from 10 votes
	await openHydrated(page, '/admin/evaluation');
	await page.getByLabel('Prompts per round').fill('12');
	await page.getByLabel('Annotators per evaluation pair').fill('1');
	await page.getByLabel(/Votes between candidate and current model/).fill('10');
	await page.getByRole('button', { name: 'Save settings' }).click();
	await expect(page.getByText('Saved.')).toBeVisible();

	// 3. the round, from the candidate's page, sampled by the job runner
	await openHydrated(page, `/admin/models/${candidateId}`);
	await expect(page.getByTestId('verdict').locator('[data-verdict]')).toHaveText('not yet known');
	await page.getByRole('button', { name: 'Start a round against the current model' }).click();
	await page.waitForURL(/\/admin\/evaluation\/rounds\//);
	const roundUrl = page.url();
	await expect(page.getByTestId('prompt-source')).toContainText('none of these models trained on');
	await page.getByTestId('round-sampling').getByRole('link').click();
	await expect(page.getByTestId('job-status')).toHaveText('succeeded', { timeout: 30_000 });
	await page.goto(roundUrl);
	const pairs = Number(/on (\d+) pairs/.exec((await page.getByTestId('round-votes').textContent()) ?? '')?.[1]);
	expect(pairs).toBeGreaterThanOrEqual(10);

	// 4. two annotators prefer the candidate's reply, blind
	const annotators = [await newAnnotator(playwright, admin, 1), await newAnnotator(playwright, admin, 2)];
	const votes = await voteFor(admin, annotators, candidate, pairs);
	expect(votes.reduce((a, b) => a + b, 0)).toBe(pairs);
	expect(votes.every((n) => n > 0), 'both annotators voted').toBe(true);
	for (const annotator of annotators) await annotator.client.dispose();

	// 5. the evidence: a verdict of "better", the leaderboard and its chart, the win-rate matrix
	await page.reload();
	await expect(page.getByTestId('round-votes')).toContainText(`${pairs} on ${pairs} pairs`);
	await openHydrated(page, '/admin/evaluation');
	await expect(page.getByTestId('leaderboard').locator('tbody tr').first()).toContainText(candidate);
	const chart = page.locator('figure.chart').filter({ has: page.locator('figcaption strong', { hasText: 'Ratings with their 95 % intervals' }) });
	await expect(chart.locator('svg.lc-layout-svg')).toBeVisible();
	await expect(page.getByTestId('win-rate-matrix')).toContainText('100 %');
	await openHydrated(page, `/admin/models/${candidateId}`);
	await expect(page.getByTestId('verdict').locator('[data-verdict]')).toHaveText('better');
	await expect(page.getByTestId('verdict')).toContainText(`${pairs} W · 0 T · 0 L`);

	// 6. "better": made current at the first press
	await page.getByRole('button', { name: 'Make current', exact: true }).click();
	await expect(page.getByTestId('model-status')).toHaveText('current');
	await openHydrated(page, '/admin/loop');
	await expect(page.locator('figure.chart').filter({ hasText: 'Rating of each model version over time' })).toBeVisible();
	await context.close();
	await admin.dispose();
});
