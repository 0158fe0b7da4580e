import { error } from '@sveltejs/kit';

/*
 * The app owns its request-body limits. adapter-node's BODY_SIZE_LIMIT is one
 * number for every route, so the production command sets it to Infinity and
 * these apply instead, per kind of body: JSON (and any other body) and forms
 * each have a setting, and the streamed import has none, since it writes to the
 * database as it reads, all or nothing. Each limit is checked from
 * Content-Length before anything is read, and again while the body streams (a
 * chunked body has no length), and a body over it is a 413 naming the setting
 * that raises it.
 */

/** Each limit as bytes and as the operator wrote it ("1M"), to be quoted back in the 413. */
export type BodyLimits = { json: SizeSetting; form: SizeSetting };
export type SizeSetting = { bytes: number; text: string };

/** Routes whose handlers stream the body to its destination: memory does not grow with it, so no limit. */
const STREAMED_ROUTES: ReadonlySet<string> = new Set(['/api/v1/imports/[kind]']);

/**
 * How much of an over-limit body is still read and dropped before the 413 goes out, so a client
 * that is still sending hears the answer instead of a broken pipe; past this the connection is cut.
 */
const DRAIN_BYTES = 16 * 1024 * 1024;

export type BodyLimit = { bytes: number; message: string };

/** "64M" → 67108864, as adapter-node reads BODY_SIZE_LIMIT (K, M, G are powers of 1024); "Infinity" turns a limit off. */
export function parseBytes(text: string): number | null {
	if (text.trim() === 'Infinity') return Infinity;
	const match = /^(\d+)([KMG]?)$/i.exec(text.trim());
	if (!match) return null;
	return Number(match[1]) * 1024 ** ' KMG'.indexOf((match[2] || ' ').toUpperCase());
}

function isForm(contentType: string | null): boolean {
	const type = contentType?.split(';')[0]?.trim().toLowerCase();
	return type === 'multipart/form-data' || type === 'application/x-www-form-urlencoded';
}

/** The limit a request's body is held to, or null for a streamed route (or a limit set to Infinity). */
export function limitFor(routeId: string | null, contentType: string | null, limits: BodyLimits): BodyLimit | null {
	if (routeId && STREAMED_ROUTES.has(routeId)) return null;
	if (isForm(contentType)) {
		if (limits.form.bytes === Infinity) return null;
		return {
			bytes: limits.form.bytes,
			message: `The form is larger than FORM_BODY_LIMIT=${limits.form.text} allows: raise FORM_BODY_LIMIT on the server, or send big prompt and candidate files to POST /api/v1/imports/{prompts,candidates}, which has no limit.`
		};
	}
	if (limits.json.bytes === Infinity) return null;
	return {
		bytes: limits.json.bytes,
		message: `The request body is larger than JSON_BODY_LIMIT=${limits.json.text} allows: send less, or raise JSON_BODY_LIMIT on the server.`
	};
}

/** The HttpError that error() throws, as a value a stream can fail with (SvelteKit answers it with its status). */
function tooLarge(message: string): unknown {
	try {
		error(413, { message });
	} catch (thrown) {
		return thrown;
	}
}

/** adapter-node's own limit (BODY_SIZE_LIMIT, 512K unless set) failed the body before the app saw it. */
function fromAdapter(reason: unknown): unknown {
	const { status, message } = (reason ?? {}) as { status?: unknown; message?: unknown };
	if (status !== 413 || typeof message !== 'string' || !/BODY_SIZE_LIMIT|exceeds limit/.test(message)) return reason;
	return tooLarge(
		`The request body is larger than this server's BODY_SIZE_LIMIT (${message}): start it with BODY_SIZE_LIMIT=Infinity, as the README's production command does; the app's own JSON_BODY_LIMIT and FORM_BODY_LIMIT still apply.`
	);
}

/** A client that stops sending mid-body does not hold its 413 (and the connection) longer than this. */
const DRAIN_MS = 10_000;

/** Reads and drops the rest of a refused body, up to DRAIN_BYTES or DRAIN_MS, then lets the connection go. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
	let dropped = 0;
	const timer = setTimeout(() => void reader.cancel('request body over the limit').catch(() => {}), DRAIN_MS);
	try {
		while (dropped < DRAIN_BYTES) {
			const { done, value } = await reader.read();
			if (done) return;
			dropped += value.byteLength;
		}
		await reader.cancel('request body over the limit');
	} catch {
		// cancelled, or the client went away: nothing left to drop
	} finally {
		clearTimeout(timer);
	}
}

/** `settled` resolves once a refused body has been drained (at once when nothing was refused). */
type Limited = { request: Request; settled(): Promise<void> };

/**
 * `request` with its body counted as it streams: past `limit` (or when its
 * Content-Length already says so, before a byte is read) the read fails with a
 * 413 that handlers pass on as it is. adapter-node's own refusal is reworded to
 * name BODY_SIZE_LIMIT.
 */
export function limitRequest(request: Request, routeId: string | null, limits: BodyLimits): Limited {
	const source = request.body;
	if (!source) return { request, settled: () => Promise.resolve() };
	const limit = limitFor(routeId, request.headers.get('content-type'), limits);
	const declared = Number(request.headers.get('content-length') ?? NaN);
	const reader = source.getReader();
	let size = 0;
	let drained = Promise.resolve();
	const over = (): boolean => limit !== null && Math.max(size, Number.isFinite(declared) ? declared : 0) > limit.bytes;
	const refuse = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
		controller.error(tooLarge(limit!.message));
		drained = drain(reader);
	};
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (over()) return refuse(controller);
			let chunk: ReadableStreamReadResult<Uint8Array>;
			try {
				chunk = await reader.read();
			} catch (reason) {
				return controller.error(fromAdapter(reason));
			}
			if (chunk.done) return controller.close();
			size += chunk.value.byteLength;
			if (over()) return refuse(controller);
			controller.enqueue(chunk.value);
		},
		cancel(reason) {
			return reader.cancel(reason);
		}
	});
	return { request: new Request(request, { body, duplex: 'half' } as RequestInit), settled: () => drained };
}
