import { z } from 'zod';
import { text } from '../text';
import type { ChatMessage } from '../db/schema';
import {
	describeFailures,
	displayUrl,
	httpFailure,
	isTransient,
	ModelServerError,
	refusesMultipleChoices,
	redact,
	retryDelay,
	type Failure
} from './openai-errors';

import { DEFAULT_EGRESS, EgressRefusedError, guardedFetch, type EgressPolicy } from './egress';

export { ModelServerError } from './openai-errors';

// The client for any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp, KServe).
// Wire format: tests/contracts/openai_chat_completions.examples.json

/** `egress`: where requests may go (MODEL_ALLOWED_HOSTS); link-local and metadata addresses are refused by default. */
export type Endpoint = { baseUrl: string; model: string; apiKey?: string | null; egress?: EgressPolicy };
export type GenerationParams = { temperature?: number; top_p?: number; seed?: number; max_tokens?: number };
export type Reply = {
	text: string;
	finishReason: string | null;
	promptTokens: number | null;
	completionTokens: number | null;
	latencyMs: number;
	responseId: string | null;
	params: GenerationParams;
};
export type CallOptions = {
	/** Per HTTP request, reading the body included; default 60 000. */
	timeoutMs?: number;
	/** Further requests after the first fails transiently; default 4. */
	maxRetries?: number;
	signal?: AbortSignal;
	/** `attempt` is the 1-based attempt that just failed. */
	onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
	/** Replaces the guarded transport (specs of the wire format). */
	fetch?: typeof fetch;
	sleep?: (ms: number) => Promise<void>;
};
export type Completion = {
	id: string | null;
	model: string | null;
	choices: Array<{ index: number; text: string; finishReason: string | null }>;
	usage: { promptTokens: number | null; completionTokens: number | null };
	latencyMs: number;
};

// Only what we use, so vLLM's extra fields (logprobs, stop_reason, reasoning…) pass through.
// A null `content` (a reasoning model that spent max_tokens thinking, a tool call) is not a reply,
// nor is one with a NUL character, which the candidate table cannot store.
const completionSchema = z.object({
	id: z.string().nullish(),
	model: z.string().nullish(),
	choices: z
		.array(
			z.object({
				index: z.number().int().nonnegative().optional(),
				message: z.object({ content: text() }),
				finish_reason: text().nullish()
			})
		)
		.min(1),
	usage: z
		.object({ prompt_tokens: z.number().int().nullish(), completion_tokens: z.number().int().nullish() })
		.nullish()
});

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 4;

export async function chatCompletion(
	endpoint: Endpoint,
	messages: ChatMessage[],
	params: GenerationParams & { n?: number },
	options: CallOptions = {}
): Promise<Completion> {
	const url = completionsUrl(endpoint.baseUrl);
	const { temperature, top_p, seed, max_tokens, n } = params;
	const body = JSON.stringify({ model: endpoint.model, messages, temperature, top_p, n, seed, max_tokens, stream: false });
	const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
	if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
	const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
	const transport = options.fetch ?? guardedFetch(endpoint.egress ?? DEFAULT_EGRESS);
	const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
	const failures: Failure[] = [];
	const record = (failure: Failure): void => void failures.push({ ...failure, detail: redact(failure.detail, endpoint.apiKey) });
	const message = (): string => describeFailures(displayUrl(url), failures, timeoutMs);
	const aborted = (): ModelServerError => {
		// Cancelled between requests: no request is counted for it.
		const attempts = failures.length;
		record({ kind: 'aborted', status: null, detail: '' });
		return new ModelServerError('aborted', message(), { status: null, attempts });
	};

	for (let attempt = 1; ; attempt++) {
		if (options.signal?.aborted) throw aborted();
		const sent = await sendOnce(url, { method: 'POST', headers, body, redirect: 'manual' }, { ...options, fetch: transport, timeoutMs });
		const result = sent.ok ? readCompletion(sent.status, sent.body, sent.latencyMs) : sent.failure;
		if (!('kind' in result)) return result;
		const malformedBefore = failures.some((f) => f.kind === 'malformed');
		record(result);
		const retry =
			attempt <= maxRetries &&
			isTransient(result.kind) &&
			// A malformed body is retried once: a hiccup recovers, a wrong URL never does.
			!(result.kind === 'malformed' && malformedBefore);
		if (!retry) throw new ModelServerError(result.kind, message(), { status: result.status, attempts: attempt });
		const delayMs = retryDelay(attempt, result.retryAfterMs);
		options.onRetry?.({ attempt, delayMs, reason: describeFailures(displayUrl(url), failures.slice(-1), timeoutMs) });
		if (!(await waitUnlessAborted(sleep, delayMs, options.signal))) throw aborted();
	}
}

type Sent = { ok: true; status: number; body: string; latencyMs: number } | { ok: false; failure: Failure };

/** One HTTP request; the timeout covers reading the body too, since a server can stall mid-reply. */
async function sendOnce(url: URL, init: RequestInit, options: CallOptions & { timeoutMs: number }): Promise<Sent> {
	const controller = new AbortController();
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		controller.abort();
	}, options.timeoutMs);
	const onAbort = (): void => controller.abort();
	options.signal?.addEventListener('abort', onAbort, { once: true });
	const started = performance.now();
	try {
		const response = await (options.fetch ?? fetch)(url, { ...init, signal: controller.signal });
		const body = await response.text();
		const latencyMs = Math.round(performance.now() - started);
		if (response.ok) return { ok: true, status: response.status, body, latencyMs };
		return { ok: false, failure: httpFailure(response, body) };
	} catch (error) {
		if (options.signal?.aborted) return { ok: false, failure: { kind: 'aborted', status: null, detail: '' } };
		if (timedOut) return { ok: false, failure: { kind: 'timeout', status: null, detail: '' } };
		if (error instanceof EgressRefusedError) return { ok: false, failure: { kind: 'refused', status: null, detail: error.message } };
		// undici says only "fetch failed"; the cause has the useful part (ECONNREFUSED, ENOTFOUND…).
		const cause = (error as { cause?: { message?: string } }).cause?.message;
		return { ok: false, failure: { kind: 'network', status: null, detail: cause ?? String((error as Error).message ?? error) } };
	} finally {
		clearTimeout(timer);
		options.signal?.removeEventListener('abort', onAbort);
	}
}

function completionsUrl(baseUrl: string): URL {
	let url: URL;
	try {
		url = new URL(`${baseUrl.trim().replace(/\/+$/, '')}/chat/completions`);
	} catch {
		throw new ModelServerError('client', `The model endpoint's base URL "${baseUrl}" is not a URL (expected e.g. http://vllm:8000/v1).`, {
			status: null,
			attempts: 0
		});
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ModelServerError('client', `The model endpoint's base URL must be http(s), not ${url.protocol}.`, { status: null, attempts: 0 });
	}
	return url;
}

/** A 2xx body as a completion, or the failure it amounts to. */
function readCompletion(status: number, body: string, latencyMs: number): Completion | Failure {
	let json: unknown;
	try {
		json = JSON.parse(body);
	} catch {
		return { kind: 'malformed', status, detail: `not JSON (${body.length} characters)` };
	}
	const parsed = completionSchema.safeParse(json);
	if (!parsed.success) {
		const issue = parsed.error.issues[0]!;
		return { kind: 'malformed', status, detail: `${issue.path.join('.') || 'body'}: ${issue.message}` };
	}
	const data = parsed.data;
	return {
		id: data.id ?? null,
		model: data.model ?? null,
		choices: data.choices
			.map((c, position) => ({ index: c.index ?? position, text: c.message.content, finishReason: c.finish_reason ?? null }))
			.sort((a, b) => a.index - b.index),
		usage: { promptTokens: data.usage?.prompt_tokens ?? null, completionTokens: data.usage?.completion_tokens ?? null },
		latencyMs
	};
}

/** False when the caller aborted during the wait; an injected `sleep` cannot be cancelled, so it is raced. */
async function waitUnlessAborted(sleep: (ms: number) => Promise<void>, ms: number, signal?: AbortSignal): Promise<boolean> {
	if (!signal) return sleep(ms).then(() => true);
	if (signal.aborted) return false;
	let onAbort = (): void => {};
	const aborted = new Promise<boolean>((resolve) => {
		onAbort = () => resolve(false);
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		return await Promise.race([sleep(ms).then(() => true), aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

/**
 * Exactly n replies. Asks once with `n`; a server that ignores n (Ollama: one
 * choice) or refuses it (KServe's Hugging Face runtime) gets separate requests
 * for the rest, each with seed = base + index so they differ. Without a seed a random base is chosen, so every reply still
 * records the seed that reproduces it. vLLM samples choice i of a seeded
 * request with seed + i, so reply i records base + i either way.
 */
export async function sampleReplies(
	endpoint: Endpoint,
	messages: ChatMessage[],
	params: GenerationParams,
	n: number,
	options: CallOptions = {}
): Promise<Reply[]> {
	if (!Number.isInteger(n) || n < 0) throw new RangeError(`sampleReplies needs a whole number of replies, not ${n}.`);
	if (n === 0) return [];
	// 2^30 leaves room for base + index under llama.cpp's 32-bit seeds.
	const base = params.seed ?? Math.floor(Math.random() * 2 ** 30);
	const first = await chatCompletion(endpoint, messages, { ...params, seed: base, n }, options).catch((error: unknown) => {
		if (n > 1 && error instanceof ModelServerError && error.kind === 'client' && refusesMultipleChoices(error.message)) {
			return chatCompletion(endpoint, messages, { ...params, seed: base }, options);
		}
		throw error;
	});
	const shared = first.choices.length > 1;
	const replies = first.choices.slice(0, n).map((choice, i) =>
		// usage covers the whole request: with several choices no single reply's token count is known.
		toReply(choice, first, { ...params, seed: base + i }, shared ? null : first.usage.completionTokens)
	);
	// Sequential on purpose: servers that ignore n (Ollama) also serve few requests at once.
	for (let i = replies.length; i < n; i++) {
		const sent = { ...params, seed: base + i };
		const more = await chatCompletion(endpoint, messages, sent, options);
		replies.push(toReply(more.choices[0]!, more, sent, more.choices.length > 1 ? null : more.usage.completionTokens));
	}
	return replies;
}

function toReply(choice: Completion['choices'][number], from: Completion, params: GenerationParams, completionTokens: number | null): Reply {
	return {
		text: choice.text,
		finishReason: choice.finishReason,
		promptTokens: from.usage.promptTokens,
		completionTokens,
		latencyMs: from.latencyMs,
		responseId: from.id,
		params: definedOnly(params)
	};
}

/** `{ temperature: undefined }` would be stored as a key with no value; keep only what was sent. */
function definedOnly(params: GenerationParams): GenerationParams {
	return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined)) as GenerationParams;
}
