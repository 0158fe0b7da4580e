import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/lib/server/db/schema';
import { nearIdentical } from '../../src/lib/server/sampling/pairs';
import { chatCompletion, ModelServerError, sampleReplies, type CallOptions } from '../../src/lib/server/sampling/openai';
import { parseRetryAfter, retryDelay, serverMessageOf } from '../../src/lib/server/sampling/openai-errors';
import { readContract } from '../support/contracts';
import { startModelServer, type ModelServerOptions } from '../support/openai-server';
import { freePort } from '../support/server';

const contract = JSON.parse(readContract('openai_chat_completions.examples.json')) as { request: any; response_non_streaming_vllm_shape: any; response_non_streaming_ollama_shape: any; errors: Record<string, any> };

const question: ChatMessage[] = [
	{ role: 'system', content: 'You are Lynn.' },
	{ role: 'user', content: 'Explain KL penalties in PPO in two sentences.' }
];

let servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
	await Promise.all(servers.map((s) => s.close()));
	servers = [];
});

async function serve(options: ModelServerOptions = {}) {
	const server = await startModelServer(options);
	servers.push(server);
	return { ...server, endpoint: { baseUrl: server.baseUrl, model: 'policy-v7' } };
}

/** No real waiting between retries; the waits asked for are kept to assert on. */
function fastRetries(extra: CallOptions = {}): CallOptions & { delays: number[] } {
	const delays: number[] = [];
	return { delays, sleep: async (ms) => void delays.push(ms), timeoutMs: 2_000, ...extra };
}

async function failureOf(work: Promise<unknown>): Promise<ModelServerError> {
	const error = await work.then(
		() => null,
		(e: unknown) => e
	);
	expect(error).toBeInstanceOf(ModelServerError);
	return error as ModelServerError;
}

/** A fetch that answers every request with this status and body, as a server would. */
function answering(status: number, body: unknown): typeof fetch {
	return async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('sampling from a server that honours n (vLLM)', () => {
	it('asks once for four replies and records seed + index for each', async () => {
		const server = await serve({ mode: 'vllm' });
		const replies = await sampleReplies(server.endpoint, question, { temperature: 0.9, top_p: 0.95, seed: 1234, max_tokens: 256 }, 4);
		expect(server.requests).toHaveLength(1);
		const { _http, ...contractRequest } = contract.request;
		expect(server.requests[0]!.body).toEqual({ ...contractRequest, model: 'policy-v7', messages: question });
		expect(replies.map((r) => r.params)).toEqual([0, 1, 2, 3].map((i) => ({ temperature: 0.9, top_p: 0.95, seed: 1234 + i, max_tokens: 256 })));
		expect(new Set(replies.map((r) => r.text)).size).toBe(4);
		for (const [i, a] of replies.entries()) for (const b of replies.slice(i + 1)) expect(nearIdentical(a.text, b.text)).toBe(false);
		expect(replies[0]).toMatchObject({
			finishReason: 'stop',
			promptTokens: expect.any(Number),
			responseId: expect.stringMatching(/^chatcmpl-[0-9a-f-]{36}$/)
		});
		// The server reports one total for all four choices, so no single reply's count is known.
		expect(replies[0]!.completionTokens).toBeNull();
		expect(replies[0]!.latencyMs).toBeGreaterThanOrEqual(0);
	});

	it('gives the same replies for the same seed and different ones for another temperature', async () => {
		const server = await serve();
		const once = await sampleReplies(server.endpoint, question, { temperature: 0.9, seed: 7 }, 2);
		const again = await sampleReplies(server.endpoint, question, { temperature: 0.9, seed: 7 }, 2);
		const hotter = await sampleReplies(server.endpoint, question, { temperature: 1.2, seed: 7 }, 2);
		expect(again.map((r) => r.text)).toEqual(once.map((r) => r.text));
		expect(hotter[0]!.text).not.toBe(once[0]!.text);
	});

	it('picks and records a seed when none is given, so every reply can be reproduced', async () => {
		const server = await serve();
		const replies = await sampleReplies(server.endpoint, question, { temperature: 0.7 }, 3);
		const base = server.requests[0]!.body.seed;
		expect(Number.isInteger(base)).toBe(true);
		expect(replies.map((r) => r.params.seed)).toEqual([base, base + 1, base + 2]);
	});

	it('tolerates a trailing slash on the base URL and sends no Authorization without a key', async () => {
		const server = await serve();
		const completion = await chatCompletion({ ...server.endpoint, baseUrl: `${server.baseUrl}/` }, question, { seed: 1 });
		expect(completion.choices).toHaveLength(1);
		expect(server.requests[0]!.path).toBe('/v1/chat/completions');
		expect(server.requests[0]!.headers.authorization).toBeUndefined();
	});

	it('reports a reply cut off at max_tokens as finishReason "length"', async () => {
		const server = await serve({ truncate: true });
		const [reply] = await sampleReplies(server.endpoint, question, { seed: 1 }, 1);
		expect(reply!.finishReason).toBe('length');
		expect(reply!.completionTokens).toBeGreaterThan(0);
	});
});

describe('sampling from a server that ignores n (Ollama)', () => {
	it('asks again with seeds base..base+3 until it has four replies', async () => {
		const server = await serve({ mode: 'ollama' });
		const replies = await sampleReplies(server.endpoint, question, { temperature: 0.8, seed: 40 }, 4);
		expect(server.requests.map((r) => r.body.seed)).toEqual([40, 41, 42, 43]);
		expect(server.requests.map((r) => r.body.n)).toEqual([4, undefined, undefined, undefined]);
		expect(replies.map((r) => r.params.seed)).toEqual([40, 41, 42, 43]);
		expect(new Set(replies.map((r) => r.text)).size).toBe(4);
		// Ollama's ids repeat, so they say nothing about which request a reply came from.
		expect(replies.every((r) => r.responseId === 'chatcmpl-417')).toBe(true);
		expect(replies.every((r) => typeof r.completionTokens === 'number')).toBe(true);
	});

	it('asks again when the server refuses n > 1 outright (KServe Hugging Face runtime)', async () => {
		const server = await serve();
		const kserve: typeof fetch = async (input, init) =>
			JSON.parse(String(init?.body)).n > 1
				? new Response(JSON.stringify(contract.errors.kserve_openai_routes), { status: 500 })
				: fetch(input, init);
		const options = fastRetries({ fetch: kserve });
		const replies = await sampleReplies(server.endpoint, question, { seed: 5 }, 3, options);
		expect(replies.map((r) => r.params.seed)).toEqual([5, 6, 7]);
		expect(options.delays).toEqual([]);
		expect(server.requests).toHaveLength(3);
	});
});

describe('retrying what a retry can fix', () => {
	it('waits as long as Retry-After says after a 429, then succeeds', async () => {
		const server = await serve({ failFirst: { status: 429, count: 1, retryAfterSeconds: 1 } });
		const retries: Array<{ attempt: number; reason: string }> = [];
		const options = fastRetries({ onRetry: (info) => retries.push(info) });
		const replies = await sampleReplies(server.endpoint, question, { seed: 1 }, 2, options);
		expect(replies).toHaveLength(2);
		expect(options.delays).toHaveLength(1);
		expect(options.delays[0]).toBeGreaterThanOrEqual(1000);
		expect(options.delays[0]).toBeLessThanOrEqual(1100);
		expect(retries[0]).toMatchObject({ attempt: 1, reason: expect.stringContaining('answered 429 (rate limited)') });
	});

	it('backs off exponentially through 500s, then succeeds', async () => {
		const server = await serve({ failFirst: { status: 500, count: 3 } });
		const options = fastRetries();
		const completion = await chatCompletion(server.endpoint, question, { seed: 3 }, options);
		expect(completion.choices[0]!.text.length).toBeGreaterThan(0);
		expect(server.requests).toHaveLength(4);
		expect(options.delays).toHaveLength(3);
		expect(options.delays[1]!).toBeGreaterThanOrEqual(options.delays[0]!);
		expect(options.delays[2]!).toBeGreaterThanOrEqual(options.delays[1]!);
	});

	it('gives up after maxRetries with the status, the attempts and the server message', async () => {
		const server = await serve({ failFirst: { status: 503, count: 99 } });
		const error = await failureOf(chatCompletion(server.endpoint, question, {}, fastRetries({ maxRetries: 2 })));
		expect(error).toMatchObject({ kind: 'server', status: 503, attempts: 3, retryable: true });
		expect(error.message).toBe(
			`POST ${server.baseUrl}/chat/completions answered 503 (server error) 3 times; last: "Model worker unavailable (503)". The model server is failing: check its logs and health.`
		);
		expect(server.requests).toHaveLength(3);
	});

	it('says how often it was rate limited when 429s never stop', async () => {
		const server = await serve({ mode: 'ollama', failFirst: { status: 429, count: 99, retryAfterSeconds: 3600 } });
		const options = fastRetries();
		const error = await failureOf(chatCompletion(server.endpoint, question, {}, options));
		expect(error).toMatchObject({ kind: 'rate_limited', status: 429, attempts: 5 });
		expect(error.message).toContain('answered 429 (rate limited) 5 times; last: "Too many requests, slow down"');
		// An hour's Retry-After is capped: no single wait longer than a minute.
		expect(options.delays).toEqual([60_000, 60_000, 60_000, 60_000]);
	});

	it('times out a server that never answers, retrying first', async () => {
		const server = await serve({ hang: true });
		const started = Date.now();
		const error = await failureOf(chatCompletion(server.endpoint, question, {}, fastRetries({ timeoutMs: 200, maxRetries: 1 })));
		expect(error).toMatchObject({ kind: 'timeout', status: null, attempts: 2, retryable: true });
		expect(error.message).toContain('did not answer within 200 ms 2 times');
		expect(Date.now() - started).toBeLessThan(2_000);
	});

	it('names the connection error when nothing listens', async () => {
		const port = await freePort();
		const error = await failureOf(
			chatCompletion({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' }, question, {}, fastRetries({ maxRetries: 1 }))
		);
		expect(error).toMatchObject({ kind: 'network', attempts: 2 });
		expect(error.message).toContain('ECONNREFUSED');
	});
});

describe('bodies that are not chat completions', () => {
	it('retries a non-JSON 200 once, then fails as malformed', async () => {
		const server = await serve({ malformed: true });
		const error = await failureOf(chatCompletion(server.endpoint, question, {}, fastRetries()));
		expect(error).toMatchObject({ kind: 'malformed', status: 200, attempts: 2 });
		expect(error.message).toContain('not a chat completion');
		expect(server.requests).toHaveLength(2);
	});

	it('recovers when the second answer is fine', async () => {
		const server = await serve({ malformed: true });
		const options = fastRetries({ onRetry: () => server.setOptions({ malformed: false }) });
		const completion = await chatCompletion(server.endpoint, question, { seed: 1 }, options);
		expect(completion.choices).toHaveLength(1);
	});

	it('treats null content as malformed, naming the field', async () => {
		const body = structuredClone(contract.response_non_streaming_vllm_shape);
		body.choices[0].message.content = null;
		const endpoint = { baseUrl: 'http://vllm:8000/v1', model: 'm' };
		const error = await failureOf(chatCompletion(endpoint, question, {}, fastRetries({ fetch: answering(200, body) })));
		expect(error.kind).toBe('malformed');
		expect(error.message).toContain('choices.0.message.content');
	});

	it('treats a reply with a NUL character as malformed, naming the field: no candidate could store it', async () => {
		const body = structuredClone(contract.response_non_streaming_vllm_shape);
		body.choices[0].message.content = 'half a reply\u0000';
		const endpoint = { baseUrl: 'http://vllm:8000/v1', model: 'm' };
		const error = await failureOf(chatCompletion(endpoint, question, {}, fastRetries({ fetch: answering(200, body) })));
		expect(error.kind).toBe('malformed');
		expect(error.message).toMatch(/choices\.0\.message\.content: must not contain a NUL/);
	});

	it('reads both response shapes in the contract', async () => {
		for (const shape of [contract.response_non_streaming_vllm_shape, contract.response_non_streaming_ollama_shape]) {
			const completion = await chatCompletion({ baseUrl: 'http://x/v1', model: 'm' }, question, {}, { fetch: answering(200, shape) });
			expect(completion.choices.map((c) => c.index)).toEqual(shape.choices.map((c: any) => c.index));
			expect(completion.usage.promptTokens).toBe(31);
		}
	});
});

describe('refusals, keys and cancelling', () => {
	it('does not retry a 401 and quotes the server', async () => {
		const server = await serve({ requireKey: 'sk-right' });
		const error = await failureOf(chatCompletion(server.endpoint, question, {}, fastRetries()));
		expect(error).toMatchObject({ kind: 'client', status: 401, attempts: 1, retryable: false });
		expect(error.message).toContain('answered 401 (unauthorized): "Unauthorized: missing or invalid API key"');
		expect(error.message).toContain('Check the API key');
		expect(server.requests).toHaveLength(1);
	});

	it('sends the key as a Bearer token and never shows it in an error', async () => {
		const server = await serve({ requireKey: 'sk-right' });
		await chatCompletion({ ...server.endpoint, apiKey: 'sk-right' }, question, { seed: 1 });
		expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-right');
		const wrong = await failureOf(chatCompletion({ ...server.endpoint, apiKey: 'sk-wrong-123' }, question, {}));
		expect(wrong.message).not.toContain('sk-wrong-123');
		// Some servers echo the rejected key back; it is redacted from what we show.
		const echoing = answering(401, { error: { message: 'Incorrect API key provided: sk-wrong-123', type: 'invalid_request_error' } });
		const endpoint = { baseUrl: 'http://x/v1', model: 'm', apiKey: 'sk-wrong-123' };
		const echoed = await failureOf(chatCompletion(endpoint, question, {}, { fetch: echoing }));
		expect(echoed.message).toContain('Incorrect API key provided: [redacted]');
		expect(echoed.message).not.toContain('sk-wrong-123');
	});

	it('says to check the base URL when the path is not there', async () => {
		const server = await serve();
		const error = await failureOf(chatCompletion({ ...server.endpoint, baseUrl: server.baseUrl.replace(/\/v1$/, '') }, question, {}));
		expect(error).toMatchObject({ kind: 'client', status: 404, attempts: 1 });
		expect(error.message).toContain('Check the base URL (it ends in /v1');
	});

	it('stops at once when the caller aborts a request in flight', async () => {
		const server = await serve({ hang: true });
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 50);
		const started = Date.now();
		const error = await failureOf(chatCompletion(server.endpoint, question, {}, { signal: controller.signal, timeoutMs: 5_000 }));
		expect(error).toMatchObject({ kind: 'aborted', attempts: 1, retryable: false });
		expect(Date.now() - started).toBeLessThan(1_000);
	});

	it('stops at once when the caller aborts during a back-off wait', async () => {
		const server = await serve({ failFirst: { status: 503, count: 9, retryAfterSeconds: 30 } });
		const controller = new AbortController();
		const options: CallOptions = { signal: controller.signal, onRetry: () => setTimeout(() => controller.abort(), 20) };
		const started = Date.now();
		const error = await failureOf(chatCompletion(server.endpoint, question, {}, options));
		expect(error).toMatchObject({ kind: 'aborted', attempts: 1 });
		expect(Date.now() - started).toBeLessThan(1_000);
	});
});

describe('reading what a server says went wrong', () => {
	it.each(Object.entries(contract.errors))('finds the message in the %s error shape', async (name, body) => {
		const expected = body.error?.message ?? body.message;
		expect(serverMessageOf(JSON.stringify(body))).toBe(expected);
		const error = await failureOf(chatCompletion({ baseUrl: 'http://x/v1', model: 'm' }, question, {}, fastRetries({ fetch: answering(400, body) })));
		expect(error.message).toContain(`answered 400 (bad request): "${expected}"`);
	});

	it('finds it in the vLLM --api-key answer, and quotes no other body (a proxy page, JSON of another shape)', () => {
		expect(serverMessageOf('{"error":"Unauthorized"}')).toBe('Unauthorized');
		expect(serverMessageOf('<html><body><h1>502 Bad Gateway</h1></body></html>')).toBeNull();
		expect(serverMessageOf('{"detail":"Not Found","message":"internal"}')).toBeNull();
		expect(serverMessageOf('')).toBeNull();
	});

	it('reads Retry-After as seconds or an HTTP date', () => {
		const now = Date.parse('2026-08-21T10:00:00Z');
		expect(parseRetryAfter('2', now)).toBe(2000);
		expect(parseRetryAfter('Fri, 21 Aug 2026 10:00:05 GMT', now)).toBe(5000);
		expect(parseRetryAfter('soon', now)).toBeNull();
		expect(retryDelay(1, 120_000, () => 0)).toBe(60_000);
		expect(retryDelay(3, null, () => 1)).toBe(2000);
	});
});

describe('the test model server', () => {
	it('rejects requests outside the contract with a vLLM-shaped 400', async () => {
		const server = await serve();
		const response = await fetch(`${server.baseUrl}/chat/completions`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'policy-v7', messages: [], stream: true })
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { type: 'BadRequestError', code: 400, message: expect.stringContaining('messages') } });
		const models = await fetch(`${server.baseUrl}/models`).then((r) => r.json());
		expect(models.data[0].id).toBe('policy-v7');
	});

	it('runs standalone for Playwright and stops on SIGTERM', async () => {
		const port = await freePort();
		const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/openai-server.ts', '--port', String(port), '--mode', 'ollama']);
		const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
		try {
			const line = await new Promise<string>((resolve, reject) => {
				child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
				child.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
			});
			expect(line).toBe(`listening http://127.0.0.1:${port}/v1`);
			const completion = await chatCompletion({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'llama3' }, question, { seed: 1 });
			expect(completion.id).toBe('chatcmpl-417');
		} finally {
			child.kill('SIGTERM');
		}
		expect(await exited).toBe(0);
	});
});
