/**
 * A local OpenAI-compatible model server that speaks the wire format in
 * tests/contracts/openai_chat_completions.examples.json, as vLLM or as
 * Ollama, with the failures real servers have (rate limits, 5xx, hangs,
 * garbage bodies). Specs use `startModelServer`; Playwright runs it alone:
 *
 *   node --import tsx tests/support/openai-server.ts --port 4174 --mode vllm --latency 20
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { replyText } from './openai-replies';

export type ModelServerOptions = {
	mode?: 'vllm' | 'ollama';
	latencyMs?: number;
	failFirst?: { status: 429 | 500 | 503; count: number; retryAfterSeconds?: number };
	malformed?: boolean;
	truncate?: boolean;
	identical?: boolean;
	hang?: boolean;
	requireKey?: string;
	/** The served model; when set, requests naming another model get the server's 404. Any name is served otherwise. */
	model?: string;
};
export type RecordedRequest = { path: string; headers: Record<string, string | undefined>; body: any; at: number };
export type ModelServer = {
	baseUrl: string;
	requests: RecordedRequest[];
	setOptions(next: Partial<ModelServerOptions>): void;
	close(): Promise<void>;
};

const DEFAULT_MODEL = 'policy-v7';

// The contract's request fields and nothing else: a client sending anything more (or a
// stream) is caught here, although real vLLM only warns about unknown fields.
const requestSchema = z.strictObject({
	model: z.string().min(1),
	messages: z.array(z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
	temperature: z.number().min(0).max(2).nullish(),
	top_p: z.number().gt(0).max(1).nullish(),
	n: z.number().int().min(1).nullish(),
	seed: z.number().int().nullish(),
	max_tokens: z.number().int().min(1).nullish(),
	stream: z.literal(false).nullish()
});
type ChatRequest = z.infer<typeof requestSchema>;

const ERROR_TYPES: Record<number, string> = {
	400: 'BadRequestError',
	401: 'AuthenticationError',
	404: 'NotFoundError',
	429: 'RateLimitError',
	500: 'InternalServerError',
	503: 'ServiceUnavailableError'
};

/** The error body each server sends (contract `errors`: vLLM >= 0.10.1, Ollama). */
function errorBody(mode: 'vllm' | 'ollama', status: number, message: string): object {
	if (mode === 'ollama') {
		const type = status === 404 ? 'not_found_error' : status < 500 ? 'invalid_request_error' : 'api_error';
		return { error: { message, type, param: null, code: null } };
	}
	return { error: { message, type: ERROR_TYPES[status] ?? 'BadRequestError', param: null, code: status } };
}

function completionBody(mode: 'vllm' | 'ollama', request: ChatRequest, options: ModelServerOptions): object {
	const lastUser = [...request.messages].reverse().find((m) => m.role === 'user') ?? request.messages.at(-1)!;
	const temperature = request.temperature ?? 1;
	// Without a seed, like a real server, every answer is a fresh sample.
	const seed = request.seed ?? Math.floor(Math.random() * 2 ** 30);
	const count = mode === 'vllm' ? (request.n ?? 1) : 1;
	const promptTokens = request.messages.reduce((sum, m) => sum + words(m.content), 0);
	const choices = Array.from({ length: count }, (_, index) => {
		let text = options.identical ? replyText(lastUser.content) : replyText(lastUser.content, temperature, seed + index);
		let finish = 'stop';
		const limit = options.truncate ? Math.ceil(words(text) / 2) : (request.max_tokens ?? Infinity);
		if (words(text) > limit) {
			text = text.split(' ').slice(0, limit).join(' ');
			finish = 'length';
		}
		return { index, text, finish };
	});
	const completionTokens = choices.reduce((sum, c) => sum + words(c.text), 0);
	const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
	const created = Math.floor(Date.now() / 1000);
	if (mode === 'ollama') {
		const [c] = choices;
		return {
			id: 'chatcmpl-417',
			object: 'chat.completion',
			created,
			model: request.model,
			system_fingerprint: 'fp_ollama',
			choices: [{ index: 0, message: { role: 'assistant', content: c!.text }, finish_reason: c!.finish }],
			usage
		};
	}
	return {
		id: `chatcmpl-${crypto.randomUUID()}`,
		object: 'chat.completion',
		created,
		model: request.model,
		choices: choices.map((c) => ({
			index: c.index,
			message: { role: 'assistant', content: c.text, reasoning: null },
			logprobs: null,
			finish_reason: c.finish,
			stop_reason: null
		})),
		usage: { ...usage, prompt_tokens_details: null },
		system_fingerprint: null,
		prompt_logprobs: null
	};
}

function words(text: string): number {
	return text.split(/\s+/).filter(Boolean).length;
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

export async function startModelServer(initial: ModelServerOptions = {}, listen: { port?: number } = {}): Promise<ModelServer> {
	let options: ModelServerOptions = { ...initial };
	let failuresLeft = options.failFirst?.count ?? 0;
	const requests: RecordedRequest[] = [];
	const timers = new Set<NodeJS.Timeout>();

	function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
		const answer = (): void => {
			if (res.destroyed) return;
			res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
		};
		if (!options.latencyMs) return answer();
		const timer = setTimeout(() => {
			timers.delete(timer);
			answer();
		}, options.latencyMs);
		timers.add(timer);
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const mode = options.mode ?? 'vllm';
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		const raw = await readBody(req);
		let body: unknown = raw;
		try {
			body = raw ? JSON.parse(raw) : undefined;
		} catch {
			// Recorded as the raw text; validation below answers it with a 400.
		}
		const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
		requests.push({ path, headers, body, at: Date.now() });
		const fail = (status: number, message: string, extra?: Record<string, string>): void =>
			send(res, status, JSON.stringify(errorBody(mode, status, message)), extra);

		if (options.requireKey && req.headers.authorization !== `Bearer ${options.requireKey}`) {
			return fail(401, 'Unauthorized: missing or invalid API key');
		}
		if (req.method === 'GET' && path === '/v1/models') {
			const id = options.model ?? DEFAULT_MODEL;
			const model = { id, object: 'model', created: 1777889733, owned_by: mode === 'ollama' ? 'library' : 'vllm' };
			return send(res, 200, JSON.stringify({ object: 'list', data: [model] }));
		}
		if (req.method !== 'POST' || path !== '/v1/chat/completions') return fail(404, `Not Found: ${req.method} ${path}`);
		if (options.hang) return; // answered never; close() drops the socket
		if (failuresLeft > 0 && options.failFirst) {
			failuresLeft--;
			const { status, retryAfterSeconds } = options.failFirst;
			const message = status === 429 ? 'Too many requests, slow down' : `Model worker unavailable (${status})`;
			return fail(status, message, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
		}
		if (!String(req.headers['content-type']).startsWith('application/json')) return fail(400, 'Content-Type must be application/json');
		const parsed = requestSchema.safeParse(body);
		if (!parsed.success) {
			const issue = parsed.error.issues[0]!;
			return fail(400, `1 validation error for ChatCompletionRequest: ${issue.path.join('.') || 'body'}: ${issue.message}`);
		}
		if (options.model && parsed.data.model !== options.model) {
			const name = parsed.data.model;
			return fail(404, mode === 'ollama' ? `model "${name}" not found, try pulling it first` : `The model \`${name}\` does not exist.`);
		}
		if (options.malformed) return send(res, 200, '<html><body>502 Bad Gateway (upstream reset)</body></html>');
		send(res, 200, JSON.stringify(completionBody(mode, parsed.data, options)));
	}

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
		});
	});
	await new Promise<void>((resolve) => server.listen(listen.port ?? 0, '127.0.0.1', resolve));
	const address = server.address();
	if (!address || typeof address === 'string') throw new Error('the model server has no TCP address');
	return {
		baseUrl: `http://127.0.0.1:${address.port}/v1`,
		requests,
		setOptions(next) {
			options = { ...options, ...next };
			// A new failFirst starts its count again; `failFirst: undefined` switches failing off.
			if ('failFirst' in next) failuresLeft = next.failFirst?.count ?? 0;
		},
		async close() {
			for (const timer of timers) clearTimeout(timer);
			timers.clear();
			const closed = new Promise<void>((resolve) => server.close(() => resolve()));
			// Hanging and keep-alive sockets would keep close() (and the test process) waiting forever.
			server.closeAllConnections();
			await closed;
		}
	};
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			port: { type: 'string', default: '4174' },
			mode: { type: 'string', default: 'vllm' },
			latency: { type: 'string', default: '0' },
			model: { type: 'string' },
			'require-key': { type: 'string' }
		}
	});
	if (values.mode !== 'vllm' && values.mode !== 'ollama') throw new Error(`--mode must be vllm or ollama, not ${values.mode}`);
	const server = await startModelServer(
		{ mode: values.mode, latencyMs: Number(values.latency), model: values.model, requireKey: values['require-key'] },
		{ port: Number(values.port) }
	);
	console.log(`listening ${server.baseUrl}`);
	const stop = (): void => void server.close().then(() => process.exit(0));
	process.once('SIGTERM', stop);
	process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	main().catch((error: unknown) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	});
}
