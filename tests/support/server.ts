import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const ENTRY = path.resolve('build/index.js');

export type RunningServer = {
	origin: string;
	/** Every stdout/stderr line so far. */
	lines: string[];
	/** Resolves with the exit code once the process ends. */
	exited: Promise<number | null>;
	stop(signal?: NodeJS.Signals): Promise<number | null>;
	process: ChildProcess;
};

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer().listen(0, '127.0.0.1', () => {
			const address = probe.address();
			probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
		});
	});
}

/** Starts the production build (`vite build` output) on a free loopback port and waits for /healthz. */
/**
 * `logFile`: send the server's output to a file instead of a pipe to this process,
 * as a deployment's log collector would take it (a busy test process reading a
 * pipe would otherwise slow the server's log writes).
 */
export async function startServer(
	env: Record<string, string>,
	options: { nodeArgs?: string[]; logFile?: string } = {}
): Promise<RunningServer> {
	if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` before these tests.`);
	const port = await freePort();
	const origin = `http://localhost:${port}`;
	const out = options.logFile ? openSync(options.logFile, 'a') : 'pipe';
	const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ENTRY], {
		env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ORIGIN: origin, ...env },
		stdio: ['ignore', out, out]
	});
	const lines: string[] = [];
	for (const stream of [child.stdout, child.stderr]) {
		let buffered = '';
		stream?.on('data', (chunk: Buffer) => {
			buffered += chunk.toString();
			const parts = buffered.split('\n');
			buffered = parts.pop() ?? '';
			lines.push(...parts);
		});
	}
	const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${lines.join('\n')}`);
		const ok = await fetch(`${origin}/healthz`).then((r) => r.ok, () => false);
		if (ok) break;
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`server did not become healthy:\n${lines.join('\n')}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return {
		origin,
		lines,
		exited,
		process: child,
		async stop(signal = 'SIGTERM') {
			if (child.exitCode === null) child.kill(signal);
			const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
			const code = await exited;
			clearTimeout(timer);
			return code;
		}
	};
}

/** Signs in through the real form and returns the session cookie (`session=…`). */
export async function signIn(origin: string, email: string, password: string): Promise<string> {
	const response = await fetch(`${origin}/login`, {
		method: 'POST',
		redirect: 'manual',
		headers: { origin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ email, password })
	});
	const cookie = response.headers.get('set-cookie')?.match(/session=[^;]+/)?.[0];
	if (response.status !== 303 || !cookie) throw new Error(`sign-in failed for ${email}: ${response.status}`);
	return cookie;
}
