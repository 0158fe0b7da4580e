import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { BASE_URL, MODEL_PORT, PORT } from './tests/e2e/support/server';

// Debian's Chromium where Playwright's own browser download is not possible; elsewhere Playwright's build.
const chromiumPath = process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

// Published dataset files go to a folder of this run, never ./data/objects: a manifest an earlier run left under
// the same path would be taken for another version's. Made once (workers inherit the variable); named like
// tests/e2e/serve.ts's folders, so its sweep removes it once this run's process is gone.
const objectsDir = (process.env.E2E_OBJECTS_DIR ??= mkdtempSync(path.join(os.tmpdir(), `codelynn-e2e-${process.pid}-objects-`)));

// Debian's Chromium when present (see chromiumPath), else Playwright's; both projects use it.
const chromium = {
	...devices['Desktop Chrome'],
	launchOptions: {
		executablePath: chromiumPath,
		// Debian's Chromium as root in a container: no sandbox, no GPU, no background calls home.
		args: chromiumPath
			? [
					'--no-sandbox',
					'--disable-gpu',
					'--disable-background-networking',
					'--disable-component-update',
					'--disable-sync',
					'--no-first-run'
				]
			: []
	}
};

/** Specs that cast evaluation votes (see the 'chromium-late' project). */
const LATE_SPECS = /(evaluation|arena)\.spec\.ts$/;

export default defineConfig({
	testDir: 'tests/e2e',
	// Every spec talks to one server and one database: in parallel they would change each other's users.
	workers: 1,
	fullyParallel: false,
	// A test that leans on order or timing should fail loudly, not pass on its second try.
	retries: 0,
	// A forgotten test.only must not silently shrink the CI run.
	forbidOnly: !!process.env.CI,
	// The whole suite is small; a test stuck this long is broken, not slow.
	timeout: 30_000,
	expect: { timeout: 5_000 },
	// Plain lines on the terminal and in CI logs; no HTML report that opens a browser.
	reporter: 'list',
	use: {
		// The server's ORIGIN, not 127.0.0.1: form posts are CSRF-checked against it.
		baseURL: BASE_URL,
		// Traces only when something fails, so a green run stays fast and small.
		trace: 'retain-on-failure'
	},
	projects: [
		{
			name: 'chromium',
			testIgnore: LATE_SPECS,
			use: chromium
		},
		{
			// Evaluation rounds put votes into the demo persona's queue; the quality spec counts judgments and annotators from an
			// empty start, so these specs run after every other one (files otherwise run in name order).
			name: 'chromium-late',
			testMatch: LATE_SPECS,
			dependencies: ['chromium'],
			use: chromium
		}
	],
	webServer: [
		{
			// The OpenAI-compatible test server (speaking tests/contracts/openai_chat_completions.examples.json), as the model to sample from.
			command: `node --import tsx tests/support/openai-server.ts --port ${MODEL_PORT} --mode vllm --latency 20`,
			url: `http://127.0.0.1:${MODEL_PORT}/v1/models`,
			reuseExistingServer: false,
			timeout: 30_000,
			gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
			stdout: 'pipe',
			stderr: 'pipe'
		},
		{
		// The production build (npm run test:e2e builds it first) on a fresh PGlite folder; see the launcher.
		command: 'node --import tsx tests/e2e/serve.ts',
		env: {
			PORT: String(PORT),
			OBJECTS_DIR: objectsDir,
			// The local store announces manifests over HTTP, as `npm start` sets it up, so the webhook's real path is tested.
			STORAGE_WEBHOOK_URL: `http://127.0.0.1:${PORT}/api/v1/hooks/storage`
		},
		// healthz answers 200 only once migrations ran, i.e. the server is really ready.
		url: `http://127.0.0.1:${PORT}/healthz`,
		// A server left over from another run would carry its database's state into this one.
		reuseExistingServer: false,
		timeout: 60_000,
		// SIGTERM lets the launcher stop the server and delete its database folder.
		gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
		stdout: 'pipe',
		stderr: 'pipe'
		}
	]
});
