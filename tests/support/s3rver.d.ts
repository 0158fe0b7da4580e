// s3rver 3.7 ships no types; only what tests/support/s3.ts uses.
declare module 's3rver' {
	import type { AddressInfo } from 'node:net';
	import type { Server } from 'node:http';

	export type S3rverOptions = {
		address?: string;
		port?: number;
		silent?: boolean;
		directory?: string;
		resetOnClose?: boolean;
		allowMismatchedSignatures?: boolean;
		vhostBuckets?: boolean;
		configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
	};

	export default class S3rver {
		constructor(options?: S3rverOptions);
		/** Set once run() has resolved. */
		httpServer?: Server;
		run(): Promise<AddressInfo>;
		close(): Promise<void>;
	}
}
