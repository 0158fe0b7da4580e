import { z } from 'zod';

// How OpenAI-compatible servers fail, and how a failure is told to a person.
// Error bodies: tests/contracts/openai_chat_completions.examples.json (`errors`).

export type FailureKind = 'timeout' | 'rate_limited' | 'server' | 'client' | 'malformed' | 'network' | 'aborted';

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
	/** The server's own words, or what went wrong on our side; never contains the API key. */
	detail: string;
	retryAfterMs?: number | null;
};

// vLLM >= 0.10.1, Ollama, llama.cpp and KServe nest `{ error: { message } }`; vLLM <= 0.10.0
// puts `message` at the top with `object: "error"`; vLLM's --api-key middleware answers
// `{ "error": "Unauthorized" }`; FastAPI fallbacks answer `{ "detail": … }`.
const errorBodySchema = z.union([
	z.object({ error: z.object({ message: z.string() }) }).transform((b) => b.error.message),
	z.object({ error: z.string() }).transform((b) => b.error),
	z.object({ message: z.string() }).transform((b) => b.message),
	z.object({ detail: z.string() }).transform((b) => b.detail)
]);

const MAX_QUOTED = 300;

/** What the server said went wrong, from any of the error shapes in the contract; null for an empty body. */
export function serverMessageOf(body: string): string | null {
	const trimmed = body.trim();
	if (!trimmed) return null;
	let json: unknown;
	try {
		json = JSON.parse(trimmed);
	} catch {
		// A proxy's HTML or plain-text page: its start still tells a person where the request ended up.
		return shorten(trimmed.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim());
	}
	const parsed = errorBodySchema.safeParse(json);
	return shorten(parsed.success ? parsed.data : trimmed);
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
	const said = last.detail ? `"${last.detail}"` : null;
	const tries = failures.length;
	let head: string;
	if (tries === 1 || last.kind === 'aborted') head = `POST ${url} ${what}${said ? `: ${said}` : ''}`;
	else if (same) head = `POST ${url} ${what} ${tries} times${said ? `; last: ${said}` : ''}`;
	else head = `POST ${url} failed ${tries} times; last ${what}${said ? `: ${said}` : ''}`;
	const advice = whatToDo(last);
	return advice ? `${head}. ${advice}` : `${head}.`;
}

/** A non-2xx answer as a failure: 429 and 5xx are worth retrying, any other status is our mistake. */
export function httpFailure(response: Response, body: string): Failure {
	const status = response.status;
	const detail = serverMessageOf(body) ?? '';
	const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
	// KServe's Hugging Face runtime answers n > 1 with a 500: asking again cannot help.
	if (refusesMultipleChoices(detail)) return { kind: 'client', status, detail };
	if (status === 429) return { kind: 'rate_limited', status, detail, retryAfterMs };
	if (status >= 500) return { kind: 'server', status, detail, retryAfterMs };
	if (status < 400) {
		// POST is not followed through redirects (it would turn into a GET); say where it pointed, minus any query.
		const location = response.headers.get('location')?.split('?')[0];
		return { kind: 'client', status, detail: location ? `redirects to ${location}` : 'a redirect without a Location' };
	}
	return { kind: 'client', status, detail };
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
