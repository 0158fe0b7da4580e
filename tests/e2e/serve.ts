/**
 * Playwright's webServer: the production build on a fresh, empty PGlite
 * folder with the demo workspace, so every run starts from the same known
 * accounts. Everything it makes lives in one temporary folder, removed when
 * the server stops.
 *
 *   node --import tsx tests/e2e/serve.ts     (PORT, default 4173)
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'codelynn-e2e-';
const port = process.env.PORT ?? '4173';
const build = path.resolve('build');

if (!existsSync(path.join(build, 'index.js'))) {
	console.error(`No production build in ${build}: run \`vite build\` first (npm run test:e2e does).`);
	process.exit(1);
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** A launcher killed with SIGKILL cannot clean up; the next one removes what it left. */
function sweepAbandonedFolders(): void {
	for (const name of readdirSync(os.tmpdir())) {
		const owner = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]);
		if (owner && !isAlive(owner)) rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
	}
}

sweepAbandonedFolders();
const folder = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
const pgliteDir = path.join(folder, 'pglite');
mkdirSync(pgliteDir);
// The server runs from a copy: a `vite build` during the run (another terminal, another
// engineer) replaces build/ underneath a running server, which then dies on a missing file.
cpSync(build, path.join(folder, 'build'), { recursive: true });
// The copy still needs the project's dependencies and its `"type": "module"`.
symlinkSync(path.resolve('node_modules'), path.join(folder, 'node_modules'), 'dir');
writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ type: 'module' }));

const server = spawn(process.execPath, [path.join(folder, 'build', 'index.js')], {
	stdio: 'inherit',
	env: {
		...process.env,
		NODE_ENV: 'production',
		PORT: port,
		HOST: '127.0.0.1',
		ORIGIN: `http://localhost:${port}`,
		DEMO_WORKSPACE: 'on',
		PGLITE_DIR: pgliteDir,
		// PGlite even where the shell has a DATABASE_URL: the run must not touch a real database.
		DATABASE_URL: '',
		LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
		SHUTDOWN_TIMEOUT: '5'
	}
});

let stopping = false;
function stop(signal: NodeJS.Signals): void {
	if (stopping) return;
	stopping = true;
	// Playwright signals the whole process group, so the server may already be closing; a second signal is harmless.
	server.kill(signal);
	setTimeout(() => server.kill('SIGKILL'), 10_000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

server.on('exit', (code, signal) => {
	if (!stopping) console.error(`e2e server stopped on its own (exit code ${code}, signal ${signal}); the tests after this will fail.`);
	rmSync(folder, { recursive: true, force: true });
	process.exit(stopping ? 0 : (code ?? 1));
});
