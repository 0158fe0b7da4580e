import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { backoffDelay } from '../../retry';
import { checkCompiledPipeline } from './pipeline-spec';
import {
	createRunBody,
	emptySchema,
	experimentSchema,
	GRPC_CODE_NAMES,
	listExperimentsSchema,
	listPipelinesSchema,
	listPipelineVersionsSchema,
	listRunsSchema,
	pipelineSchema,
	pipelineVersionSchema,
	runSchema,
	serverErrorOf,
	type CreateRun,
	type Experiment,
	type Filter,
	type Pipeline,
	type PipelineVersion,
	type Run,
	type RunPage
} from './wire';

export { isTerminal, type CreateRun, type Experiment, type Filter, type Pipeline, type PipelineVersion, type Run, type RunPage } from './wire';

// The KFP v2beta1 REST client: uploads the repo's pipelines, creates and watches training runs.
// Contracts: tests/contracts/kfp_v2beta1_*.swagger.json and kfp_v2beta1_examples.json.

export class KfpError extends Error {
	/** HTTP status of the last answer; null when there was none (timeout, network, refused locally). */
	readonly status: number | null;
	readonly grpcCode: number | null;
	/** Requests made before giving up. */
	readonly attempts: number;

	constructor(message: string, details: { status: number | null; grpcCode: number | null; attempts: number }) {
		super(message);
		this.name = 'KfpError';
		this.status = details.status;
		this.grpcCode = details.grpcCode;
		this.attempts = details.attempts;
	}

	/**
	 * Kubeflow did not answer, or answered as a server that is down or restarting does
	 * (500, 502, 503, 504): worth trying again later. Anything else (refused, a bad
	 * answer, a pipeline or token problem here) will not heal by waiting.
	 */
	get unreachable(): boolean {
		return this.attempts > 0 && (this.status === null || RETRYABLE_STATUSES.has(this.status));
	}
}

export type KfpClientOptions = {
	/** e.g. http://ml-pipeline.kubeflow:8888 in-cluster, or https://kubeflow.example.com/pipeline */
	endpoint: string;
	/** Read on every request, since the kubelet rotates projected tokens; a missing file sends no Authorization. */
	tokenFile?: string | null;
	/** The profile namespace in multi-user mode. */
	namespace?: string | null;
	/** Per request, reading the answer included; default 30 000. */
	timeoutMs?: number;
	/** Further requests after a transient failure; default 4. */
	retries?: number;
	fetch?: typeof fetch;
	sleep?: (ms: number) => Promise<void>;
};
export type ListRunsQuery = { experimentId?: string; namespace?: string; filter?: Filter; pageSize?: number; sortBy?: string; pageToken?: string };
export type PipelineUpload = { name: string; displayName?: string; description?: string; text: string };
export type PipelineVersionUpload = { pipelineId: string; name: string; text: string; description?: string };
export type KfpClient = {
	/** 409 (the name exists) answers with the pipeline of that name. */
	uploadPipeline(upload: PipelineUpload): Promise<Pipeline>;
	/** 409 (the version name exists) answers with that version. */
	uploadPipelineVersion(upload: PipelineVersionUpload): Promise<PipelineVersion>;
	ensurePipeline(name: string, text: string): Promise<{ pipelineId: string; pipelineVersionId: string }>;
	/** Found by display name, created when missing (in the client's namespace in multi-user mode). */
	ensureExperiment(displayName: string): Promise<Experiment>;
	createRun(run: CreateRun): Promise<Run>;
	getRun(runId: string): Promise<Run>;
	listRuns(query?: ListRunsQuery): Promise<RunPage>;
	/** The newest run of the experiment with exactly this description (our dedupe key), if any. */
	findRunByDescription(experimentId: string, description: string): Promise<Run | null>;
	/** The run goes CANCELING, then CANCELED. */
	terminateRun(runId: string): Promise<void>;
	/** A FAILED or CANCELED run starts again from PENDING. */
	retryRun(runId: string): Promise<void>;
};
type Send = <S extends z.ZodType>(call: Call<z.output<S>>, schema: S) => Promise<z.output<S>>;

type Call<T> = {
	/** What was being done, for messages: "create run". */
	action: string;
	method: 'GET' | 'POST';
	path: string;
	query?: Record<string, string | number | undefined>;
	json?: unknown;
	form?: FormData;
	retries?: number;
	/** Asked before each retry: a request that may have taken effect is not sent twice when this finds its result. */
	recover?: () => Promise<T | null>;
};
type Failure = { status: number | null; grpcCode: number | null; detail: string; retryable: boolean };

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 4;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);

export function createKfpClient(options: KfpClientOptions): KfpClient {
	const send = transport(options);
	const namespace = options.namespace || undefined;
	const equals = (key: string, value: string): string => JSON.stringify({ predicates: [{ key, operation: 'EQUALS', string_value: value }] });

	async function findPipeline(name: string): Promise<Pipeline | null> {
		const query = { namespace, filter: equals('name', name), page_size: 10 };
		const page = await send({ action: `find pipeline "${name}"`, method: 'GET', path: '/apis/v2beta1/pipelines', query }, listPipelinesSchema);
		return page.pipelines.find((p) => p.name === name) ?? null;
	}

	async function findPipelineVersion(pipelineId: string, name: string): Promise<PipelineVersion | null> {
		const path = `/apis/v2beta1/pipelines/${encodeURIComponent(pipelineId)}/versions`;
		const page = await send({ action: `find pipeline version "${name}"`, method: 'GET', path, query: { filter: equals('name', name), page_size: 10 } }, listPipelineVersionsSchema);
		return page.pipeline_versions.find((v) => v.name === name) ?? null;
	}

	async function findExperiment(displayName: string): Promise<Experiment | null> {
		const query = { namespace, filter: equals('display_name', displayName), page_size: 10 };
		const page = await send({ action: `find experiment "${displayName}"`, method: 'GET', path: '/apis/v2beta1/experiments', query }, listExperimentsSchema);
		return page.experiments.find((e) => e.display_name === displayName) ?? null;
	}

	async function uploadPipeline(upload: PipelineUpload): Promise<Pipeline> {
		const query = { name: upload.name, display_name: upload.displayName, description: upload.description, namespace };
		const call = { action: `upload pipeline "${upload.name}"`, method: 'POST', path: '/apis/v2beta1/pipelines/upload', query } as const;
		return createOrFind(() => send({ ...call, form: pipelineForm(upload.name, upload.text) }, pipelineSchema), () => findPipeline(upload.name));
	}

	async function uploadPipelineVersion(upload: PipelineVersionUpload): Promise<PipelineVersion> {
		const query = { pipelineid: upload.pipelineId, name: upload.name, description: upload.description };
		const call = { action: `upload pipeline version "${upload.name}"`, method: 'POST', path: '/apis/v2beta1/pipelines/upload_version', query } as const;
		return createOrFind(
			() => send({ ...call, form: pipelineForm(upload.name, upload.text) }, pipelineVersionSchema),
			() => findPipelineVersion(upload.pipelineId, upload.name)
		);
	}

	async function findRunByDescription(experimentId: string, description: string, retries?: number): Promise<Run | null> {
		// `description` is a filterable run key on the server (apiserver/model/run.go maps it to the
		// Description column; filter.swagger's EQUALS takes any string key), so the server does the
		// search instead of us paging through every run of the experiment. The exact match below
		// guards against a server that ignores the predicate.
		const filter: Filter = { predicates: [{ key: 'description', operation: 'EQUALS', string_value: description }] };
		const query = { experiment_id: experimentId, namespace, filter: JSON.stringify(filter), page_size: 10, sort_by: 'created_at desc' };
		const page = await send({ action: 'find run by description', method: 'GET', path: '/apis/v2beta1/runs', query, retries }, listRunsSchema);
		return page.runs.find((r) => r.description === description) ?? null;
	}

	return {
		uploadPipeline,
		uploadPipelineVersion,

		/**
		 * The pipeline named `name` with a version holding exactly `text`: the version is named after
		 * the content hash, so the same YAML is uploaded once and a changed YAML becomes a new version.
		 * (Creating the pipeline also leaves KFP's own first version, named like the pipeline; runs never use it.)
		 */
		async ensurePipeline(name: string, text: string): Promise<{ pipelineId: string; pipelineVersionId: string }> {
			const { problems } = checkCompiledPipeline(text);
			if (problems.length > 0) {
				const message = `Pipeline "${name}" was not uploaded: it is not a valid KFP v2 compiled pipeline: ${problems.join('; ')}`;
				throw new KfpError(message, { status: null, grpcCode: null, attempts: 0 });
			}
			const pipeline = (await findPipeline(name)) ?? (await uploadPipeline({ name, text }));
			const versionName = contentVersionName(name, text);
			const version =
				(await findPipelineVersion(pipeline.pipeline_id, versionName)) ??
				(await uploadPipelineVersion({ pipelineId: pipeline.pipeline_id, name: versionName, text }));
			return { pipelineId: pipeline.pipeline_id, pipelineVersionId: version.pipeline_version_id };
		},

		async ensureExperiment(displayName: string): Promise<Experiment> {
			const found = await findExperiment(displayName);
			if (found) return found;
			const json = namespace ? { display_name: displayName, namespace } : { display_name: displayName };
			const create = (): Promise<Experiment> =>
				send({ action: `create experiment "${displayName}"`, method: 'POST', path: '/apis/v2beta1/experiments', json }, experimentSchema);
			return createOrFind(create, () => findExperiment(displayName));
		},

		/**
		 * KFP has no idempotency key, so a retried create could start a second training run. With a
		 * description (our dedupe key) and an experiment, each retry first looks for the run the lost
		 * answer may have created; without them a create is sent once only.
		 */
		async createRun(run: CreateRun): Promise<Run> {
			const { description, experiment_id: experimentId } = run;
			const canCheck = description !== undefined && experimentId !== undefined;
			return send(
				{
					action: `create run "${run.display_name}"`,
					method: 'POST',
					path: '/apis/v2beta1/runs',
					json: createRunBody(run),
					retries: canCheck ? undefined : 0,
					recover: canCheck ? () => findRunByDescription(experimentId, description, 0) : undefined
				},
				runSchema
			);
		},

		async getRun(runId: string): Promise<Run> {
			return send({ action: `get run ${runId}`, method: 'GET', path: `/apis/v2beta1/runs/${encodeURIComponent(runId)}` }, runSchema);
		},

		async listRuns(query: ListRunsQuery = {}): Promise<RunPage> {
			const params = {
				experiment_id: query.experimentId,
				namespace: query.namespace ?? namespace,
				filter: query.filter ? JSON.stringify(query.filter) : undefined,
				page_size: query.pageSize,
				sort_by: query.sortBy,
				page_token: query.pageToken
			};
			return send({ action: 'list runs', method: 'GET', path: '/apis/v2beta1/runs', query: params }, listRunsSchema);
		},

		findRunByDescription: (experimentId: string, description: string): Promise<Run | null> => findRunByDescription(experimentId, description),

		async terminateRun(runId: string): Promise<void> {
			await send({ action: `terminate run ${runId}`, method: 'POST', path: `/apis/v2beta1/runs/${encodeURIComponent(runId)}:terminate` }, emptySchema);
		},

		async retryRun(runId: string): Promise<void> {
			await send({ action: `retry run ${runId}`, method: 'POST', path: `/apis/v2beta1/runs/${encodeURIComponent(runId)}:retry` }, emptySchema);
		}
	};
}

/** `name-<12 hex of sha256>`: stable for the same bytes, new for any change. */
export function contentVersionName(name: string, text: string): string {
	return `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

// The upload handlers pick the parser from the file name's extension, so it must end in .yaml.
function pipelineForm(name: string, text: string): FormData {
	const form = new FormData();
	form.append('uploadfile', new Blob([text], { type: 'application/x-yaml' }), `${name}.yaml`);
	return form;
}

/** Create; when the server says it exists already (409, a concurrent creator or an earlier call), use the one it has. */
async function createOrFind<T>(create: () => Promise<T>, find: () => Promise<T | null>): Promise<T> {
	try {
		return await create();
	} catch (error) {
		if (!(error instanceof KfpError) || error.status !== 409) throw error;
		const existing = await find();
		if (existing) return existing;
		throw error;
	}
}

/** One request with the client's timeout, auth and retry policy; the answer parsed with `schema`. */
function transport(options: KfpClientOptions): Send {
	const base = options.endpoint.trim().replace(/\/+$/, '');
	if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
		throw new Error(`The KFP endpoint "${options.endpoint}" is not an http(s) URL (expected e.g. http://ml-pipeline.kubeflow:8888)`);
	}
	const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

	return async function send<S extends z.ZodType>(call: Call<z.output<S>>, schema: S): Promise<z.output<S>> {
		const url = new URL(base + call.path);
		for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
		const retries = call.retries ?? options.retries ?? DEFAULT_RETRIES;
		for (let attempt = 1; ; attempt++) {
			const token = await readToken(options.tokenFile, call.action);
			const outcome = await attemptOnce(options.fetch ?? fetch, url, requestInit(call, token), timeoutMs);
			if ('body' in outcome) return parseAnswer(call, outcome.body, schema, attempt);
			if (!outcome.retryable || attempt > retries) {
				const hint = outcome.status === 401 || outcome.status === 403 ? authHint(options.tokenFile, token) : '';
				throw new KfpError(describe(call, url, outcome, attempt) + hint, { status: outcome.status, grpcCode: outcome.grpcCode, attempts: attempt });
			}
			await sleep(backoffDelay(attempt, { baseMs: BASE_DELAY_MS, maxMs: MAX_DELAY_MS }));
			const recovered = call.recover ? await call.recover().catch(() => null) : null;
			if (recovered) return recovered;
		}
	};
}

function requestInit(call: Call<unknown>, token: string | null): RequestInit {
	const headers: Record<string, string> = { accept: 'application/json' };
	if (token) headers.authorization = `Bearer ${token}`;
	if (call.json === undefined) return { method: call.method, headers, body: call.form };
	return { method: call.method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(call.json) };
}

async function readToken(tokenFile: string | null | undefined, action: string): Promise<string | null> {
	if (!tokenFile) return null;
	try {
		return (await readFile(tokenFile, 'utf8')).trim() || null;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
		const message = `KFP ${action} failed: cannot read the token file ${tokenFile}: ${(error as Error).message}`;
		throw new KfpError(message, { status: null, grpcCode: null, attempts: 0 });
	}
}

function authHint(tokenFile: string | null | undefined, token: string | null): string {
	if (token) return ` (the bearer token from ${tokenFile} was refused: it needs audience pipelines.kubeflow.org and access to the profile namespace)`;
	if (tokenFile) return ` (no token was sent: ${tokenFile} does not exist or is empty)`;
	return ' (no token was sent: configure the token file, e.g. /var/run/secrets/kubeflow/pipelines/token)';
}

async function attemptOnce(fetcher: typeof fetch, url: URL, init: RequestInit, timeoutMs: number): Promise<{ body: string } | Failure> {
	try {
		// The signal also covers reading the body: a server can stall mid-answer.
		const response = await fetcher(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
		const body = await response.text();
		if (response.ok) return { body };
		const said = serverErrorOf(body);
		return { status: response.status, grpcCode: said.grpcCode, detail: said.message, retryable: RETRYABLE_STATUSES.has(response.status) };
	} catch (error) {
		if ((error as Error).name === 'TimeoutError') return { status: null, grpcCode: null, detail: `no answer within ${timeoutMs} ms`, retryable: true };
		// undici says only "fetch failed"; the cause names what happened (ECONNREFUSED, ENOTFOUND…).
		const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
		return { status: null, grpcCode: null, detail: `cannot reach ${url.origin}: ${cause}`, retryable: true };
	}
}

function parseAnswer<S extends z.ZodType>(call: Call<unknown>, body: string, schema: S, attempts: number): z.output<S> {
	let json: unknown;
	try {
		json = JSON.parse(body);
	} catch {
		const detail = `the answer is not JSON (a login page? check the endpoint): ${serverErrorOf(body).message.slice(0, 120)}`;
		throw new KfpError(`KFP ${call.action} failed: ${detail}`, { status: 200, grpcCode: null, attempts });
	}
	const parsed = schema.safeParse(json);
	if (parsed.success) return parsed.data;
	const issue = parsed.error.issues[0]!;
	const detail = `the answer does not match the KFP v2beta1 API at ${issue.path.join('.') || 'the top'}: ${issue.message}`;
	throw new KfpError(`KFP ${call.action} failed: ${detail}`, { status: 200, grpcCode: null, attempts });
}

/** "KFP create run "x" failed after 5 attempts (HTTP 503, Unavailable): <what the server said>" */
function describe(call: Call<unknown>, url: URL, failure: Failure, attempts: number): string {
	const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
	const codeName = failure.grpcCode === null ? '' : `, ${GRPC_CODE_NAMES[failure.grpcCode] ?? `gRPC code ${failure.grpcCode}`}`;
	const status = failure.status === null ? '' : ` (HTTP ${failure.status}${codeName})`;
	const where = failure.status === null ? ` [${call.method} ${url.pathname}]` : '';
	return `KFP ${call.action} failed${tries}${status}: ${failure.detail}${where}`;
}
