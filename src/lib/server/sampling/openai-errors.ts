import { z } from 'zod';

// How OpenAI-compatible servers fail, and how a failure is told to a person.
// Error bodies: tests/contracts/openai_chat_completions.examples.json (`errors`).

export type FailureKind = 'timeout' | 'rate_limited' | 'server' | 'client' | 'malformed' | 'network' | 'aborted' | 'refused';

/** Kinds where asking again later may succeed; a job runner can use `retryable` to re-queue. */
const TRANSIENT: ReadonlySet<FailureKind> = new Set(['timeout', 'rate_limited', 'server', 'network', 'malformed']);

export function isTransient(kind: FailureKind): boolean {
	return TRANSIENT.has(kind);
}

export class ModelServerError extends Error {
	readonly kind: FailureKind;
	readonly status: number | null;
	readonly retryable: boolean;
	/** HTTP requests made before giving up (0 when the call never reached the network). */
	readonly attempts: number;

	constructor(kind: FailureKind, message: string, details: { status: number | null; attempts: number; cause?: unknown }) {
		super(message, details.cause === undefined ? undefined : { cause: details.cause });
		this.name = 'ModelServerError';
		this.kind = kind;
		this.status = details.status;
		this.retryable = isTransient(kind);
		this.attempts = details.attempts;
	}
}

/** One failed HTTP attempt, before the retry loop decides what to do with it. */
export type Failure = {
	kind: FailureKind;
	status: number | null;
	/** The server's own words (an OpenAI-shaped error message), or what went wrong on our side; never contains the API key. */
	detail: string;
	/** The server sent a body that is not an OpenAI error: it is not shown (it could be anything the URL leads to). */
	foreignBody?: boolean;
	retryAfterMs?: number | null;
};

// Only the error shapes OpenAI-compatible servers send have their message shown: the base URL
// is typed by an admin, and a reply from whatever it points at must not be read back through
// this client. The contract's shapes nest `{ error: { message } }` (vLLM >= 0.10.1, Ollama,
// llama.cpp, KServe) or put `message` beside `object: "error"` (vLLM <= 0.10.0); vLLM's
// --api-key middleware answers `{ "error": "Unauthorized" }`.
const errorBodySchema = z.union([
	z.object({ error: z.object({ message: z.string() }) }).transform((b) => b.error.message),
	z.object({ object: z.literal('error'), message: z.string() }).transform((b) => b.message),
	z.object({ error: z.string() }).transform((b) => b.error)
]);

const MAX_QUOTED = 300;

/** The message of an OpenAI-shaped error body, shortened; null for any other body (or none). */
export function serverMessageOf(body: string): string | null {
	let json: unknown;
	try {
		json = JSON.parse(body);
	} catch {
		return null;
	}
	const parsed = errorBodySchema.safeParse(json);
	if (!parsed.success) return null;
	// Control characters would let a message forge lines in the job page or the logs.
	const message = parsed.data.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
	return message ? shorten(message) : null;
}

function shorten(text: string): string {
	return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}

/** `Retry-After` as milliseconds to wait: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
	if (!value) return null;
	const text = value.trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	const date = Date.parse(text);
	return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** A single wait never exceeds this, whatever the server asks: a stuck job is worse than a 429. */
export const MAX_WAIT_MS = 60_000;
const BASE_DELAY_MS = 500;

/**
 * Exponential back-off with jitter (half fixed, half random) so a batch of
 * samplers that failed together does not retry together. `attempt` is 1-based.
 * A server's `Retry-After` wins, plus up to 10 % so clients told the same
 * time still spread out.
 */
export function retryDelay(attempt: number, retryAfterMs: number | null | undefined, random: () => number = Math.random): number {
	const delay =
		retryAfterMs != null
			? retryAfterMs * (1 + 0.1 * random())
			: BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + 0.5 * random());
	return Math.round(Math.min(MAX_WAIT_MS, delay));
}

const CLIENT_REASONS: Record<number, string> = {
	400: 'bad request',
	401: 'unauthorized',
	403: 'forbidden',
	404: 'not found',
	413: 'request too large',
	422: 'unprocessable request'
};

/** "answered 429 (rate limited)", "did not answer within 200 ms", … */
function whatHappened(failure: Failure, timeoutMs: number): string {
	const status = failure.status;
	switch (failure.kind) {
		case 'rate_limited':
			return `answered ${status} (rate limited)`;
		case 'server':
			return `answered ${status} (server error)`;
		case 'client':
			return status !== null && status < 400
				? `answered ${status} (redirect)`
				: `answered ${status} (${CLIENT_REASONS[status ?? 0] ?? (status !== null && status >= 500 ? 'refused' : 'client error')})`;
		case 'timeout':
			return `did not answer within ${timeoutMs} ms`;
		case 'network':
			return 'could not be reached';
		case 'malformed':
			return `answered ${status} with a body that is not a chat completion`;
		case 'aborted':
			return 'was cancelled by the caller';
		case 'refused':
			return 'was not sent';
	}
}

function whatToDo(failure: Failure): string {
	const status = failure.status ?? 0;
	switch (failure.kind) {
		case 'client':
			if (status === 401 || status === 403) return 'Check the API key set for this model version.';
			if (status === 404) return 'Check the base URL (it ends in /v1; KServe: {isvc-url}/openai/v1) and the model name.';
			if (status < 400) return 'The base URL redirects (a login page or a moved service?): use the final URL.';
			return 'The server refused the request: check the model name and generation parameters (max_tokens against the context length).';
		case 'rate_limited':
			return 'Sample with less concurrency or try again later.';
		case 'server':
			return 'The model server is failing: check its logs and health.';
		case 'timeout':
			return 'Check that the server is up and not overloaded, or raise the timeout for long replies.';
		case 'network':
			return 'Check that the server is running and the base URL is reachable from this host.';
		case 'malformed':
			return 'Check that the base URL points at an OpenAI-compatible /v1 API.';
		case 'aborted':
			return '';
		case 'refused':
			return 'Use the model server\'s own address (loopback and private networks are fine), or ask the operator to list the host in MODEL_ALLOWED_HOSTS.';
	}
}

/**
 * The message a person reads after the last attempt, e.g.
 * `POST http://vllm:8000/v1/chat/completions answered 429 (rate limited) 5 times; last: "…"`.
 */
export function describeFailures(url: string, failures: Failure[], timeoutMs: number): string {
	const last = failures[failures.length - 1]!;
	const same = failures.every((f) => f.kind === last.kind && f.status === last.status);
	const what = whatHappened(last, timeoutMs);
	const said = last.detail ? `"${last.detail}"` : last.foreignBody ? 'with a body that is not an OpenAI error' : null;
	const tries = failures.length;
	let head: string;
	const quoted = (lead: string): string => (!said ? '' : last.detail ? `${lead}${said}` : ` ${said}`);
	if (tries === 1 || last.kind === 'aborted') head = `POST ${url} ${what}${quoted(': ')}`;
	else if (same) head = `POST ${url} ${what} ${tries} times${quoted('; last: ')}`;
	else head = `POST ${url} failed ${tries} times; last ${what}${quoted(': ')}`;
	const advice = whatToDo(last);
	return advice ? `${head}. ${advice}` : `${head}.`;
}

/** A non-2xx answer as a failure: 429 and 5xx are worth retrying, any other status is our mistake. */
export function httpFailure(response: Response, body: string): Failure {
	const status = response.status;
	const message = serverMessageOf(body);
	const detail = message ?? '';
	const foreignBody = message === null && body.trim() !== '';
	const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
	// KServe's Hugging Face runtime answers n > 1 with a 500: asking again cannot help.
	if (refusesMultipleChoices(detail)) return { kind: 'client', status, detail };
	if (status === 429) return { kind: 'rate_limited', status, detail, foreignBody, retryAfterMs };
	if (status >= 500) return { kind: 'server', status, detail, foreignBody, retryAfterMs };
	if (status < 400) {
		// POST is not followed through redirects (it would turn into a GET); say where it pointed, minus any query.
		const location = response.headers.get('location')?.split(/[?#]/)[0];
		return { kind: 'client', status, detail: location ? `redirects to ${shorten(location.replace(/[^\x21-\x7e]/g, ''))}` : 'a redirect without a Location' };
	}
	return { kind: 'client', status, detail, foreignBody };
}

/** The server's message says it cannot return several choices per request (KServe; older llama.cpp). */
export function refusesMultipleChoices(message: string): boolean {
	return /['"`]?\bn\b['"`]?\s*(>\s*1\s*)?(is\s+)?not\s+supported|only one completion choice/i.test(message);
}

/** The URL as shown to people: no user-info or query string, where keys sometimes hide. */
export function displayUrl(url: URL): string {
	return `${url.origin}${url.pathname}`;
}

/** Some servers echo the key they rejected ("Incorrect API key provided: sk-…"). */
export function redact(text: string, secret: string | null | undefined): string {
	return secret ? text.split(secret).join('[redacted]') : text;
}
