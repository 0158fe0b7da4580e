/**
 * A throwaway S3 for specs: s3rver on a random loopback port in a fresh folder,
 * and a proxy in front of it that fails chosen requests the way S3 does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import type { ObjectStoreConfig } from '../../src/lib/server/config';

export type S3Server = {
	endpoint: string;
	bucket: string;
	/** Points at this server; tests put a proxy's endpoint in its place to inject faults. */
	config: Extract<ObjectStoreConfig, { kind: 's3' }>;
	/** The S3_* variables that point the app's configuration at this server. */
	env: Record<string, string>;
	dir: string;
	stop(): Promise<void>;
};

export async function startS3Server({ bucket }: { bucket: string }): Promise<S3Server> {
	const dir = await mkdtemp(path.join(tmpdir(), 's3rver-'));
	const server = new S3rver({
		address: '127.0.0.1',
		port: 0,
		silent: true,
		directory: dir,
		// Path-style only: vhost matching would read 127.0.0.1 as a bucket name.
		vhostBuckets: false,
		configureBuckets: [{ name: bucket }]
	});
	const { port } = await server.run();
	const endpoint = `http://127.0.0.1:${port}`;
	return {
		endpoint,
		bucket,
		config: {
			kind: 's3',
			bucket,
			endpoint,
			region: 'us-east-1',
			forcePathStyle: true,
			// s3rver checks signatures against this one built-in account.
			credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
		},
		env: { S3_BUCKET: bucket, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' },
		dir,
		async stop() {
			await closeServer(server.httpServer);
			await rm(dir, { recursive: true, force: true });
		}
	};
}

export type ProxiedRequest = { method: string; url: string };

export type FaultyProxy = {
	endpoint: string;
	/** From now on, requests matching `predicate` get an S3 InternalError-shaped answer with `status`. */
	failWhen(predicate: (request: ProxiedRequest) => boolean, status?: number): void;
	clear(): void;
	/** Every request seen, failed or forwarded, in arrival order. */
	requests: ProxiedRequest[];
	stop(): Promise<void>;
};

const INJECTED_ERROR =
	'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>injected failure</Message></Error>';

export async function startFaultyProxy(targetEndpoint: string): Promise<FaultyProxy> {
	const target = new URL(targetEndpoint);
	const requests: ProxiedRequest[] = [];
	let fault: { predicate: (request: ProxiedRequest) => boolean; status: number } | undefined;

	const server = createServer((incoming, outgoing) => {
		const seen = { method: incoming.method ?? 'GET', url: incoming.url ?? '/' };
		requests.push(seen);
		if (fault?.predicate(seen)) injectFailure(incoming, outgoing, fault.status);
		else forward(incoming, outgoing, target);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		endpoint: `http://127.0.0.1:${port}`,
		failWhen(predicate, status = 500) {
			fault = { predicate, status };
		},
		clear() {
			fault = undefined;
			requests.length = 0;
		},
		requests,
		stop: () => closeServer(server)
	};
}

/** Drained first: answering before the body is read would look like a reset connection, not an S3 error. */
function injectFailure(incoming: IncomingMessage, outgoing: ServerResponse, status: number): void {
	incoming.resume();
	incoming.on('end', () => {
		outgoing.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(INJECTED_ERROR) });
		outgoing.end(INJECTED_ERROR);
	});
}

/** Headers go through untouched: the client signed the Host it sent, so s3rver must see that one. */
function forward(incoming: IncomingMessage, outgoing: ServerResponse, target: URL): void {
	const upstream = request(
		{ hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
		(answer) => {
			outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
			pipeline(answer, outgoing).catch(() => outgoing.destroy());
		}
	);
	upstream.on('error', () => outgoing.destroy());
	pipeline(incoming, upstream).catch(() => upstream.destroy());
}

async function closeServer(server: Server | undefined): Promise<void> {
	if (!server) return;
	const closed = new Promise<void>((resolve) => server.close(() => resolve()));
	// The SDK keeps connections alive; close() alone would wait for them to time out.
	server.closeAllConnections();
	await closed;
}
