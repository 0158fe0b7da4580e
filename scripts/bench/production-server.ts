/**
 * The production build (`node build`) as the README's production command
 * starts it, on loopback and a free port, for benchmarks that measure what a
 * user waits for over HTTP. Stops with `stop()`; run `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export type Server = { origin: string; child: ChildProcess; stop(): Promise<void> };

async function freePort(): Promise<number> {
	return new Promise((resolve) => {
		const probe = createServer().listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as { port: number };
			probe.close(() => resolve(port));
		});
	});
}

/** `node build` with the demo workspace (its admin signs in), plus the database and whatever `env` adds. */
export async function startBuild(env: Record<string, string>): Promise<Server> {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const child = spawn(process.execPath, ['build'], {
		env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ORIGIN: origin, DEMO_WORKSPACE: 'on', LOG_LEVEL: 'warn', ...env },
		stdio: ['ignore', 'ignore', 'inherit']
	});
	for (let tries = 0; !(await fetch(`${origin}/healthz`).then((r) => r.ok, () => false)); tries++) {
		if (tries > 600 || child.exitCode !== null) throw new Error('the production build did not start (did you run npm run build?)');
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return { origin, child, stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))) };
}

/** Signs in as the demo admin; returns the session cookie. */
export async function signIn(origin: string): Promise<string> {
	const response = await fetch(`${origin}/login`, {
		method: 'POST',
		redirect: 'manual',
		headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ email: 'admin@example.com', password: 'demo-admin-pass' })
	});
	const cookie = response.headers.get('set-cookie')?.match(/session=[^;]+/)?.[0];
	if (!cookie) throw new Error(`sign-in answered ${response.status}`);
	return cookie;
}
