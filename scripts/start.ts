/**
 * README command 1: builds the app when the build is missing or older than the
 * sources, then serves it. On a fresh machine that means PGlite in ./data/pglite
 * with the demo workspace, and the sign-in details printed.
 *
 *   npm start                 embedded defaults
 *   npm start -- --demo       also seed the demo workspace into DATABASE_URL's database
 *   npm start -- --port 8080  (or PORT=8080); --host 0.0.0.0 to listen beyond this machine
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
	options: { demo: { type: 'boolean', default: false }, port: { type: 'string' }, host: { type: 'string' } }
});
if (values.demo) process.env.DEMO_WORKSPACE = 'on';
if (values.port) process.env.PORT = values.port;
if (values.host) process.env.HOST = values.host;
process.env.PORT ??= '3000';
// Loopback unless asked otherwise: the demo accounts have published passwords.
process.env.HOST ??= '127.0.0.1';
process.env.NODE_ENV ??= 'production';
// adapter-node assumes https when ORIGIN is unset; form posts (CSRF check) and cookies need the real one.
process.env.ORIGIN ??= `http://localhost:${process.env.PORT}`;
// The local object store announces new dataset versions to the app's own webhook, as MinIO would.
const self = ['0.0.0.0', '::'].includes(process.env.HOST) ? '127.0.0.1' : process.env.HOST;
process.env.STORAGE_WEBHOOK_URL ??= `http://${self.includes(':') ? `[${self}]` : self}:${process.env.PORT}/api/v1/hooks/storage`;
// adapter-node's one limit for every body (512K by default) would cap the streamed imports too; the app
// applies its own per kind of body instead (JSON_BODY_LIMIT, FORM_BODY_LIMIT; see src/lib/server/body-limits.ts).
process.env.BODY_SIZE_LIMIT ??= 'Infinity';

const inputs = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package.json'];

function newest(target: string): number {
	if (!existsSync(target)) return 0;
	const stat = statSync(target);
	if (!stat.isDirectory()) return stat.mtimeMs;
	return readdirSync(target).reduce((max, name) => Math.max(max, newest(path.join(target, name))), stat.mtimeMs);
}

const entry = path.resolve('build/index.js');
if (!existsSync(entry) || Math.max(...inputs.map(newest)) > statSync(entry).mtimeMs) {
	console.log('Building codeLynn Studio (first start, or the sources changed)…');
	const vite = path.resolve('node_modules/vite/bin/vite.js');
	// Quiet unless it fails: a newcomer needs the sign-in details, not the bundler's report.
	const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], { encoding: 'utf8' });
	if (result.status !== 0) {
		process.stderr.write(`${result.stdout}\n${result.stderr}\nThe build failed (exit ${result.status}).\n`);
		process.exit(result.status ?? 1);
	}
}

await import(pathToFileURL(entry).href);
