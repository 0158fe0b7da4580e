import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/** The server specifications, run once per database kind. */
function serverProject(database: 'pglite' | 'postgres'): TestProjectInlineConfiguration {
	return {
		extends: true,
		test: {
			name: `server-${database}`,
			environment: 'node',
			include: ['src/**/*.test.ts', 'tests/integration/**/*.test.ts'],
			// request and job logs would bury the test report; warnings and errors still show
			env: { TEST_DB: database, LOG_LEVEL: 'warn' },
			// Each file opens its own database; argon2 and PGlite start-up are CPU-bound.
			testTimeout: 30_000,
			hookTimeout: 60_000
		}
	};
}

export default defineConfig({
	plugins: [sveltekit()],
	test: {
		expect: { requireAssertions: true },
		// PostgreSQL only when a server is given; CI always gives one (.ci/run).
		projects: [serverProject('pglite'), ...(process.env.TEST_DATABASE_URL ? [serverProject('postgres')] : [])]
	}
});
