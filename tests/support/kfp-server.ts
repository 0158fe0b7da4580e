/**
 * A fake Kubeflow Pipelines v2beta1 API server on 127.0.0.1 that the production client talks to
 * over HTTP. It validates every JSON request body against the real swagger files
 * (tests/contracts/kfp_v2beta1_*.swagger.json: unknown fields and wrong types are 400s, as protojson
 * makes them), checks uploaded pipelines and runtime parameters with its own reading of the KFP IR
 * (./kfp-pipeline-rules.ts, not the production checks it is there to test), answers in the server's shapes (snake_case, empty fields omitted) and lets a spec drive runs and inject faults.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readContract } from './contracts';
import { judgePipeline, parsePipelineFile, runParameterProblems, type UploadedPipeline } from './kfp-pipeline-rules';

const SWAGGER_FILES = ['run', 'pipeline', 'pipeline.upload', 'experiment', 'filter'].map((name) => `kfp_v2beta1_${name}.swagger.json`);

export type RunOutcome = { state: 'SUCCEEDED' } | { state: 'FAILED'; message: string };
/** What a run of a pipeline writes before it ends SUCCEEDED (its model, its metrics file), given the run's parameters. */
export type RunOutputs = (parameters: Record<string, unknown>) => Promise<void>;
export type FakeKfpOptions = { token?: string | null; multiUser?: boolean };
export type RecordedKfpRequest = { method: string; path: string; query: Record<string, string>; body: unknown; headers: Record<string, string | undefined> };
export type FakeKfpServer = {
	/** What the client is configured with, e.g. http://127.0.0.1:40123 */
	endpoint: string;
	requests: RecordedKfpRequest[];
	/** The bearer token accepted from now on (a rotation); null accepts any request. */
	setToken(token: string | null): void;
	/** How runs of this pipeline (KFP pipeline name or pipelineInfo.name) end; SUCCEEDED by default. */
	outcomeFor(pipelineName: string, outcome: RunOutcome): void;
	outcomeForRun(runId: string, outcome: RunOutcome): void;
	/**
	 * Runs of this pipeline write their outputs when they succeed, as the real one uploads before
	 * its last task ends: a run turns SUCCEEDED only once `write` has finished (FAILED, with its
	 * message, if it throws), so a client never sees SUCCEEDED before the outputs exist.
	 */
	onSucceeded(pipelineName: string, write: RunOutputs): void;
	/**
	 * One step for this run, or for every unfinished run: PENDING → RUNNING → outcome, CANCELING → CANCELED.
	 * Resolves once the step is taken (a run with outputs to write succeeds after writing them).
	 */
	advance(runId?: string): Promise<void>;
	/** Advance every unfinished run every `ms`; null stops. */
	autoAdvance(ms: number | null): void;
	/** The next `count` requests answer `status` with a gateway error body; 'after' handles them first (the answer is lost, the effect is not). */
	failNext(count: number, status?: 500 | 502 | 503 | 504, when?: 'before' | 'after'): void;
	/** The next `count` requests are never answered. */
	hangNext(count: number): void;
	/** Kubeflow down until called with null: 'reset' drops every connection, 503 is a gateway in front of a stopped API server. Nothing is recorded meanwhile. */
	down(how: 'reset' | 503 | null): void;
	stop(): Promise<void>;
};

// ---- swagger validation -------------------------------------------------------------------------

type Schema = {
	$ref?: string;
	type?: string;
	format?: string;
	enum?: string[];
	properties?: Record<string, Schema>;
	additionalProperties?: Schema;
	items?: Schema;
};
type Parameter = { name: string; in: string; type?: string; schema?: Schema };
type Operation = { operationId: string; parameters?: Parameter[] };
type Swagger = { paths: Record<string, Record<string, Operation>>; definitions: Record<string, Schema> };
type Route = { method: string; pattern: RegExp; names: string[]; operation: Operation; definitions: Record<string, Schema> };

function loadSwagger(file: string): Swagger {
	return JSON.parse(readContract(file)) as Swagger;
}

function loadRoutes(): Route[] {
	const routes: Route[] = [];
	for (const file of SWAGGER_FILES) {
		const swagger = loadSwagger(file);
		for (const [template, operations] of Object.entries(swagger.paths)) {
			const names: string[] = [];
			const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\}/g, (_, name: string) => {
				names.push(name.replace(/\\/g, ''));
				return '([^/:]+)';
			});
			for (const [method, operation] of Object.entries(operations)) {
				routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), names, operation, definitions: swagger.definitions });
			}
		}
	}
	// Literal paths before templated ones: /pipelines/upload must not be read as /pipelines/{pipeline_id}.
	return routes.sort((a, b) => a.names.length - b.names.length);
}

/**
 * The first way `value` breaks `schema`, worded like protojson, or null. Stricter than protojson in
 * one way: it refuses the lowerCamelCase spellings protojson would also accept, since the contract is snake_case.
 */
function violation(value: unknown, schema: Schema, definitions: Record<string, Schema>, where: string): string | null {
	if (schema.$ref) return violation(value, definitions[schema.$ref.replace('#/definitions/', '')] ?? {}, definitions, where);
	if (value === null) return null; // protojson: null leaves a field unset
	const wrong = (kind: string): string => `proto: invalid value for ${kind} field ${where}: ${JSON.stringify(value)}`;
	if (schema.enum) return (typeof value === 'string' && schema.enum.includes(value)) || Number.isInteger(value) ? null : wrong('enum');
	switch (schema.type) {
		case 'string':
			if (schema.format === 'int64') return Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)) ? null : wrong('int64');
			if (typeof value !== 'string') return wrong('string');
			return schema.format === 'date-time' && Number.isNaN(Date.parse(value)) ? wrong('timestamp') : null;
		case 'integer':
			return Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)) ? null : wrong('int32');
		case 'number':
			return typeof value === 'number' ? null : wrong('double');
		case 'boolean':
			return typeof value === 'boolean' ? null : wrong('bool');
		case 'array':
			if (!Array.isArray(value)) return wrong('repeated');
			for (const [i, item] of value.entries()) {
				const problem = violation(item, schema.items ?? {}, definitions, `${where}[${i}]`);
				if (problem) return problem;
			}
			return null;
	}
	if (schema.type !== 'object' && !schema.properties) return null; // google.protobuf.Value: anything
	if (typeof value !== 'object' || Array.isArray(value)) return wrong('message');
	if (!schema.properties && !schema.additionalProperties) return null; // google.protobuf.Struct
	for (const [key, field] of Object.entries(value)) {
		const fieldSchema = schema.properties?.[key] ?? schema.additionalProperties;
		if (!fieldSchema) return `proto: unknown field "${key}" in ${where}`;
		const problem = violation(field, fieldSchema, definitions, `${where}.${key}`);
		if (problem) return problem;
	}
	return null;
}

// ---- errors in the two shapes KFP answers with ------------------------------------------------------

const HTTP_STATUS_OF_CODE: Record<number, number> = { 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 9: 400, 12: 501, 13: 500, 14: 503, 16: 401 };

/** A gRPC-gateway error: `{code, message, details}`, HTTP status from the gRPC code. */
class GatewayError extends Error {
	constructor(
		readonly code: number,
		message: string,
		readonly details: unknown[] = []
	) {
		super(message);
	}
}
/** An upload handler error: `{error_message, error_details}`. */
class UploadError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly details: string = message
	) {
		super(message);
	}
}

const invalid = (message: string): GatewayError => new GatewayError(3, message);
const notFound = (message: string): GatewayError => new GatewayError(5, message);

// ---- stored resources, kept in the wire shape --------------------------------------------------------

type Wire = Record<string, unknown>;
type StoredPipeline = { wire: Wire & { pipeline_id: string; name: string }; namespace: string; versions: StoredVersion[]; seq: number };
type StoredVersion = { wire: Wire & { pipeline_version_id: string; name: string }; spec: UploadedPipeline; seq: number };
type StoredExperiment = { wire: Wire & { experiment_id: string; display_name: string }; namespace: string; seq: number };
type RunStatus = { update_time: string; state: string; error?: { code: number; message: string } };
type StoredRun = {
	wire: Wire & { run_id: string; state: string; state_history: RunStatus[]; error?: { code: number; message: string } };
	namespace: string;
	pipelineNames: string[];
	seq: number;
	/** Writing its outputs: a second advance meanwhile does not write them again. */
	finishing?: boolean;
};

/** KFP timestamps have whole seconds. */
function now(): string {
	return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function dropEmpty(value: Wire): Wire {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== ''));
}

// ---- list filtering, sorting, paging ---------------------------------------------------------------

type Predicate = {
	key: string;
	operation?: string;
	string_value?: string;
	int_value?: number;
	long_value?: string;
	timestamp_value?: string;
	string_values?: { values?: string[] };
	int_values?: { values?: number[] };
};

function parseFilter(raw: string | undefined, filterDefinitions: Record<string, Schema>): Predicate[] {
	if (!raw) return [];
	let json: unknown;
	try {
		json = JSON.parse(raw);
	} catch {
		throw invalid(`Invalid input error: failed to parse valid filter from "${raw}": not JSON`);
	}
	const problem = violation(json, { $ref: '#/definitions/v2beta1Filter' }, filterDefinitions, 'filter');
	if (problem) throw invalid(`Invalid input error: failed to parse valid filter from "${raw}": ${problem}`);
	return (json as { predicates?: Predicate[] }).predicates ?? [];
}

function matches(entity: Wire, predicates: Predicate[], keys: readonly string[]): boolean {
	return predicates.every((p) => {
		if (!keys.includes(p.key)) throw invalid(`Invalid input error: no support for filtering on unrecognized field "${p.key}"`);
		const actual = String(entity[p.key] ?? '');
		const single = p.string_value ?? p.timestamp_value ?? p.long_value ?? (p.int_value === undefined ? undefined : String(p.int_value));
		const list = (p.string_values?.values ?? p.int_values?.values)?.map(String);
		switch (p.operation) {
			case 'EQUALS':
				return actual === single;
			case 'NOT_EQUALS':
				return actual !== single;
			case 'IS_SUBSTRING':
				return actual.includes(single ?? '');
			case 'IN':
				if (!list) throw invalid(`Invalid input error: IN on "${p.key}" needs string_values or int_values`);
				return list.includes(actual);
			default:
				throw new GatewayError(12, `the fake KFP server does not implement filter operation ${p.operation ?? 'OPERATION_UNSPECIFIED'}`);
		}
	});
}

function listPage<T extends { wire: Wire; seq: number }>(items: T[], query: Record<string, string>, view: (item: T) => Wire): { page: Wire[]; total: number; next?: string } {
	const [field = 'created_at', direction = 'asc'] = (query.sort_by ?? '').trim().split(/\s+/).filter(Boolean);
	if (!['created_at', 'name', 'display_name'].includes(field) || !['asc', 'desc'].includes(direction)) {
		throw invalid(`Invalid input error: Invalid sorting field: "${query.sort_by}"`);
	}
	const sign = direction === 'desc' ? -1 : 1;
	// created_at has whole seconds; the creation order breaks ties the way the database's ids would.
	const sorted = [...items].sort((a, b) => sign * (String(view(a)[field] ?? '').localeCompare(String(view(b)[field] ?? '')) || a.seq - b.seq));
	const size = query.page_size ? Number(query.page_size) : 20; // KFP's default page size
	const offset = query.page_token ? Number(Buffer.from(query.page_token, 'base64url').toString()) : 0;
	if (!Number.isInteger(offset) || offset < 0) throw invalid(`Invalid input error: invalid page token "${query.page_token}"`);
	const page = sorted.slice(offset, offset + size).map((item) => item.wire);
	const more = offset + size < sorted.length;
	return { page, total: sorted.length, next: more ? Buffer.from(String(offset + size)).toString('base64url') : undefined };
}

// ---- the resources and what each operation does with them ------------------------------------------

const RUN_FILTER_KEYS = ['run_id', 'display_name', 'description', 'state', 'experiment_id', 'pipeline_id', 'namespace', 'storage_state', 'created_at', 'finished_at'] as const;
const PIPELINE_FILTER_KEYS = ['pipeline_id', 'name', 'display_name', 'description', 'namespace', 'created_at'] as const;
const VERSION_FILTER_KEYS = ['pipeline_version_id', 'name', 'display_name', 'description', 'created_at'] as const;
const EXPERIMENT_FILTER_KEYS = ['experiment_id', 'display_name', 'description', 'namespace', 'storage_state', 'created_at'] as const;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const EPOCH = '1970-01-01T00:00:00Z';

type Context = { params: Record<string, string>; query: Record<string, string>; body: Wire; form: FormData | null };
type Handler = (context: Context) => Wire | Promise<Wire>;

class KfpState {
	readonly pipelines: StoredPipeline[] = [];
	readonly experiments: StoredExperiment[] = [];
	readonly runs: StoredRun[] = [];
	readonly pipelineOutcomes = new Map<string, RunOutcome>();
	readonly runOutcomes = new Map<string, RunOutcome>();
	readonly outputs = new Map<string, RunOutputs>();
	private seq = 0;

	constructor(
		readonly multiUser: boolean,
		readonly filterDefinitions: Record<string, Schema>
	) {}

	next(): number {
		return ++this.seq;
	}

	filter(query: Record<string, string>): Predicate[] {
		return parseFilter(query.filter, this.filterDefinitions);
	}

	run(runId: string | undefined, doing: string): StoredRun {
		const run = this.runs.find((r) => r.wire.run_id === runId);
		if (!run) throw notFound(`Failed to ${doing}: ResourceNotFoundError: Run ${runId} not found`);
		return run;
	}

	pipeline(pipelineId: string | undefined, doing: string): StoredPipeline {
		const pipeline = this.pipelines.find((p) => p.wire.pipeline_id === pipelineId);
		if (!pipeline) throw notFound(`Failed to ${doing}: ResourceNotFoundError: Pipeline ${pipelineId} not found`);
		return pipeline;
	}

	/** One lifecycle step, recorded in state_history as the persistence agent would. */
	transition(run: StoredRun, state: string, error?: { code: number; message: string }): void {
		const at = now();
		run.wire.state = state;
		run.wire.state_history.push(error ? { update_time: at, state, error } : { update_time: at, state });
		run.wire.finished_at = TERMINAL.has(state) ? at : EPOCH;
		if (error) run.wire.error = error;
		else delete run.wire.error;
	}

	async advance(run: StoredRun): Promise<void> {
		const state = run.wire.state;
		if (state === 'PENDING') return this.transition(run, 'RUNNING');
		if (state === 'CANCELING') return this.transition(run, 'CANCELED');
		if (state !== 'RUNNING' || run.finishing) return;
		const outcome =
			this.runOutcomes.get(run.wire.run_id) ?? run.pipelineNames.map((n) => this.pipelineOutcomes.get(n)).find(Boolean) ?? { state: 'SUCCEEDED' };
		if (outcome.state === 'FAILED') return this.transition(run, 'FAILED', { code: 2, message: outcome.message });
		const write = run.pipelineNames.map((n) => this.outputs.get(n)).find(Boolean);
		if (!write) return this.transition(run, 'SUCCEEDED');
		run.finishing = true;
		try {
			await write((run.wire.runtime_config as { parameters?: Record<string, unknown> } | undefined)?.parameters ?? {});
			this.transition(run, 'SUCCEEDED');
		} catch (error) {
			this.transition(run, 'FAILED', { code: 2, message: `writing the outputs failed: ${error instanceof Error ? error.message : String(error)}` });
		} finally {
			run.finishing = false;
		}
	}
}

function pipelineHandlers(state: KfpState): Record<string, Handler> {
	const versionsOf = (context: Context): StoredVersion[] => state.pipeline(context.params.pipeline_id, 'list pipeline versions').versions;
	return {
		UploadPipeline: (context) => uploadPipeline(state, context),
		UploadPipelineVersion: (context) => uploadPipelineVersion(state, context),
		PipelineService_ListPipelines: ({ query }) => {
			const predicates = state.filter(query);
			const visible = state.pipelines.filter((p) => p.namespace === (query.namespace ?? '') && matches(p.wire, predicates, PIPELINE_FILTER_KEYS));
			const { page, total, next } = listPage(visible, query, (p) => p.wire);
			return dropEmpty({ pipelines: page.length ? page : undefined, total_size: total || undefined, next_page_token: next });
		},
		PipelineService_GetPipeline: ({ params }) => state.pipeline(params.pipeline_id, 'get pipeline').wire,
		PipelineService_ListPipelineVersions: (context) => {
			const predicates = state.filter(context.query);
			const { page, total, next } = listPage(
				versionsOf(context).filter((v) => matches(v.wire, predicates, VERSION_FILTER_KEYS)),
				context.query,
				(v) => v.wire
			);
			return dropEmpty({ pipeline_versions: page.length ? page : undefined, total_size: total || undefined, next_page_token: next });
		},
		PipelineService_GetPipelineVersion: (context) => {
			const version = versionsOf(context).find((v) => v.wire.pipeline_version_id === context.params.pipeline_version_id);
			if (!version) throw notFound(`Failed to get pipeline version: ResourceNotFoundError: PipelineVersion ${context.params.pipeline_version_id} not found`);
			return version.wire;
		}
	};
}

/** The uploaded file, checked as the real upload handler checks it; problems answer 400 in the upload shape. */
async function uploadedSpec(form: FormData | null, doing: string): Promise<{ spec: UploadedPipeline; fileName: string }> {
	const file = form?.get('uploadfile');
	if (!file || typeof file === 'string') throw new UploadError(400, `${doing}: Failed to read pipeline file: http: no such file "uploadfile"`);
	if (!/\.(ya?ml|json)$/i.test(file.name)) {
		throw new UploadError(400, `${doing}: Invalid input error: Unexpected pipeline file format "${file.name}". Support .zip, .tar.gz, .json or YAML`);
	}
	const { pipeline: spec, problems } = parsePipelineFile(await file.text());
	if (!spec) throw new UploadError(400, `${doing}: invalid pipeline spec`, `${doing}: Invalid input error: ${problems.join('; ')}`);
	return { spec, fileName: file.name.replace(/\.(ya?ml|json)$/i, '') };
}

function storeVersion(state: KfpState, pipeline: StoredPipeline, name: string, spec: UploadedPipeline, query: Record<string, string>): StoredVersion {
	const wire = dropEmpty({
		pipeline_id: pipeline.wire.pipeline_id,
		pipeline_version_id: randomUUID(),
		name,
		display_name: query.display_name || name,
		description: query.description,
		created_at: now(),
		pipeline_spec: spec
	}) as StoredVersion['wire'];
	const version = { wire, spec, seq: state.next() };
	pipeline.versions.push(version);
	return version;
}

async function uploadPipeline(state: KfpState, { query, form }: Context): Promise<Wire> {
	const doing = 'Failed to create a pipeline and a pipeline version';
	const { spec, fileName } = await uploadedSpec(form, doing);
	const name = query.name || query.display_name || fileName;
	const namespace = query.namespace ?? '';
	if (state.pipelines.some((p) => p.wire.name === name && p.namespace === namespace)) {
		throw new UploadError(409, `${doing}: Already exist error: Failed to create a new pipeline. The name ${name} already exists. Please specify a new name`);
	}
	const wire = dropEmpty({ pipeline_id: randomUUID(), name, display_name: query.display_name || name, description: query.description, created_at: now(), namespace });
	const pipeline: StoredPipeline = { wire: wire as StoredPipeline['wire'], namespace, versions: [], seq: state.next() };
	state.pipelines.push(pipeline);
	// The real server stores the file as the pipeline's first version, named like the pipeline.
	storeVersion(state, pipeline, name, spec, query);
	return pipeline.wire;
}

async function uploadPipelineVersion(state: KfpState, { query, form }: Context): Promise<Wire> {
	const doing = 'Failed to create a pipeline version';
	if (!query.pipelineid) throw new UploadError(400, `${doing}: Invalid input error: Pipeline id can not be empty`);
	const pipeline = state.pipelines.find((p) => p.wire.pipeline_id === query.pipelineid);
	if (!pipeline) throw new UploadError(404, `${doing}: ResourceNotFoundError: Pipeline ${query.pipelineid} not found`);
	const { spec, fileName } = await uploadedSpec(form, doing);
	const name = query.name || query.display_name || fileName;
	if (pipeline.versions.some((v) => v.wire.name === name)) {
		throw new UploadError(409, `${doing}: Already exist error: Failed to create a new pipeline version. The name ${name} already exists. Please specify a new name`);
	}
	return storeVersion(state, pipeline, name, spec, query).wire;
}

function experimentHandlers(state: KfpState): Record<string, Handler> {
	return {
		ExperimentService_CreateExperiment: ({ body }) => {
			const { display_name: name, description, namespace = '' } = body as { display_name?: string; description?: string; namespace?: string };
			if (!name) throw invalid('Failed to create an experiment: Invalid input error: Experiment name is empty. Please specify a valid experiment name');
			if (state.multiUser && !namespace) throw invalid('Failed to create an experiment: Invalid input error: In multi-user mode, experiment namespace can not be empty');
			if (state.experiments.some((e) => e.wire.display_name === name && e.namespace === namespace)) {
				throw new GatewayError(6, `Failed to create an experiment: Already exist error: Experiment with name "${name}" already exists in namespace "${namespace}"`);
			}
			return createExperiment(state, name, namespace, description).wire;
		},
		ExperimentService_ListExperiments: ({ query }) => {
			if (state.multiUser && !query.namespace) throw invalid('Failed to list experiments: Invalid input error: In multi-user mode, ListExperiments must filter by namespace');
			const predicates = state.filter(query);
			const visible = state.experiments.filter((e) => e.namespace === (query.namespace ?? '') && matches(e.wire, predicates, EXPERIMENT_FILTER_KEYS));
			const { page, total, next } = listPage(visible, query, (e) => e.wire);
			return dropEmpty({ experiments: page.length ? page : undefined, total_size: total || undefined, next_page_token: next });
		},
		ExperimentService_GetExperiment: ({ params }) => {
			const experiment = state.experiments.find((e) => e.wire.experiment_id === params.experiment_id);
			if (!experiment) throw notFound(`Failed to get experiment: ResourceNotFoundError: Experiment ${params.experiment_id} not found`);
			return experiment.wire;
		}
	};
}

function createExperiment(state: KfpState, name: string, namespace: string, description?: string): StoredExperiment {
	const wire = dropEmpty({
		experiment_id: randomUUID(),
		display_name: name,
		description,
		created_at: now(),
		namespace,
		storage_state: 'AVAILABLE',
		last_run_created_at: EPOCH
	});
	const experiment = { wire: wire as StoredExperiment['wire'], namespace, seq: state.next() };
	state.experiments.push(experiment);
	return experiment;
}

type RunRequest = {
	display_name?: string;
	description?: string;
	experiment_id?: string;
	pipeline_spec?: Wire;
	pipeline_version_reference?: { pipeline_id?: string; pipeline_version_id?: string };
	runtime_config?: { parameters?: Record<string, unknown>; pipeline_root?: string };
	service_account?: string;
};

function runExperiment(state: KfpState, experimentId: string | undefined): StoredExperiment {
	if (!experimentId) {
		if (state.multiUser) {
			const cause = 'Experiment id can not be empty in multi-user mode';
			const details = [{ '@type': 'type.googleapis.com/google.rpc.Status', code: 3, message: cause }];
			throw new GatewayError(3, `Failed to create a run due to invalid experimentId and namespace combination: Invalid input error: ${cause}`, details);
		}
		return state.experiments.find((e) => e.wire.display_name === 'Default' && !e.namespace) ?? createExperiment(state, 'Default', '');
	}
	const experiment = state.experiments.find((e) => e.wire.experiment_id === experimentId);
	if (!experiment) throw notFound(`Failed to create a run due to invalid experimentId and namespace combination: ResourceNotFoundError: Experiment ${experimentId} not found`);
	return experiment;
}

/** The compiled pipeline a new run would execute: a stored version, or an inline spec (the oneof pipeline_source). */
function runSource(state: KfpState, run: RunRequest): { spec: UploadedPipeline; pipelineNames: string[]; reference?: Wire } {
	const reference = run.pipeline_version_reference;
	if (run.pipeline_spec && reference) throw invalid('Failed to create a run: Invalid input error: pipeline_spec and pipeline_version_reference are mutually exclusive');
	if (run.pipeline_spec) {
		// The Struct may wrap the IR with its platform spec: {pipeline_spec, platform_spec}.
		const inline = 'pipeline_spec' in run.pipeline_spec ? run.pipeline_spec.pipeline_spec : run.pipeline_spec;
		const { pipeline: spec, problems } = judgePipeline(inline);
		if (!spec) throw invalid(`Failed to create a run due to invalid pipeline spec: ${problems.join('; ')}`);
		return { spec, pipelineNames: [spec.pipelineInfo.name] };
	}
	if (!reference?.pipeline_id) throw invalid('Failed to create a run: Invalid input error: pipeline_version_reference.pipeline_id or pipeline_spec is required');
	const pipeline = state.pipeline(reference.pipeline_id, 'create a run');
	const versionId = reference.pipeline_version_id;
	// Without a version id the pipeline's latest version runs.
	const version = versionId ? pipeline.versions.find((v) => v.wire.pipeline_version_id === versionId) : pipeline.versions.at(-1);
	if (!version) throw notFound(`Failed to create a run: ResourceNotFoundError: PipelineVersion ${versionId} not found in pipeline ${reference.pipeline_id}`);
	return {
		spec: version.spec,
		pipelineNames: [pipeline.wire.name, version.spec.pipelineInfo.name],
		reference: { pipeline_id: pipeline.wire.pipeline_id, pipeline_version_id: version.wire.pipeline_version_id }
	};
}

function createRun(state: KfpState, run: RunRequest): Wire {
	if (!run.display_name) throw invalid('Failed to create a run: Invalid input error: The run name is empty. Please specify a valid name');
	const experiment = runExperiment(state, run.experiment_id);
	const { spec, pipelineNames, reference } = runSource(state, run);
	const problems = runParameterProblems(spec, run.runtime_config?.parameters ?? {});
	if (problems.length > 0) throw invalid(`Failed to create a run due to invalid runtime config: Invalid input error: ${problems.join('; ')}`);
	const at = now();
	const wire = dropEmpty({
		experiment_id: experiment.wire.experiment_id,
		run_id: randomUUID(),
		display_name: run.display_name,
		storage_state: 'AVAILABLE',
		description: run.description,
		pipeline_version_reference: reference,
		pipeline_spec: reference ? undefined : run.pipeline_spec,
		runtime_config: run.runtime_config,
		service_account: run.service_account || 'pipeline-runner',
		created_at: at,
		scheduled_at: at,
		finished_at: EPOCH,
		state: 'PENDING',
		state_history: [{ update_time: at, state: 'PENDING' }]
	});
	const stored: StoredRun = { wire: wire as StoredRun['wire'], namespace: experiment.namespace, pipelineNames, seq: state.next() };
	state.runs.push(stored);
	return stored.wire;
}

function runHandlers(state: KfpState): Record<string, Handler> {
	return {
		RunService_CreateRun: ({ body }) => createRun(state, body as RunRequest),
		RunService_GetRun: ({ params }) => state.run(params.run_id, 'get a run').wire,
		RunService_ListRuns: ({ query }) => {
			if (state.multiUser && !query.namespace && !query.experiment_id) {
				throw invalid('Failed to list runs due to invalid experimentId and namespace combination: Invalid input error: In multi-user mode, ListRuns must filter by experiment_id or namespace');
			}
			const predicates = state.filter(query);
			const view = (r: StoredRun): Wire => ({ ...r.wire, namespace: r.namespace, pipeline_id: (r.wire.pipeline_version_reference as Wire | undefined)?.pipeline_id });
			const visible = state.runs.filter(
				(r) =>
					(!query.experiment_id || r.wire.experiment_id === query.experiment_id) &&
					(!state.multiUser || !query.namespace || r.namespace === query.namespace) &&
					matches(view(r), predicates, RUN_FILTER_KEYS)
			);
			const { page, total, next } = listPage(visible, query, view);
			return dropEmpty({ runs: page.length ? page : undefined, total_size: total || undefined, next_page_token: next });
		},
		RunService_TerminateRun: ({ params }) => {
			const run = state.run(params.run_id, 'terminate a run');
			if (TERMINAL.has(run.wire.state)) throw new GatewayError(9, `Failed to terminate a run: Run ${run.wire.run_id} has already finished (${run.wire.state})`);
			state.transition(run, 'CANCELING');
			return {};
		},
		RunService_RetryRun: ({ params }) => {
			const run = state.run(params.run_id, 'retry a run');
			if (run.wire.state !== 'FAILED' && run.wire.state !== 'CANCELED') {
				throw new GatewayError(9, `Failed to retry a run: Run ${run.wire.run_id} is ${run.wire.state}; only FAILED or CANCELED runs can be retried`);
			}
			state.transition(run, 'PENDING');
			return {};
		}
	};
}

// ---- the HTTP server ---------------------------------------------------------------------------------

type Incoming = { method: string; path: string; query: Record<string, string>; raw: string; form: FormData | null; authorization?: string };
type Reply = { status: number; json: unknown };

// What a proxy or a failing API server in front of the real thing answers.
const FAULTS: Record<number, { code: number; message: string }> = {
	500: { code: 13, message: 'Internal error: failed to connect to the database: connection refused' },
	502: { code: 14, message: 'upstream connect error or disconnect/reset before headers. reset reason: protocol error' },
	503: { code: 14, message: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure' },
	504: { code: 4, message: 'upstream request timeout' }
};

function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | null {
	for (const route of routes) {
		const match = route.method === method ? route.pattern.exec(path) : null;
		if (match) return { route, params: Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')])) };
	}
	return null;
}

function checkAuth(authorization: string | undefined, token: string | null): void {
	if (token === null) return;
	if (!authorization) throw new GatewayError(16, 'Failed to authorize with API: Unauthenticated: Request header error: there is no user identity header');
	if (authorization !== `Bearer ${token}`) {
		throw new GatewayError(16, 'Failed to authorize with API: Unauthenticated: Failed to authenticate token review: the token is invalid, expired or for another audience');
	}
}

/** The JSON body checked against the operation's swagger schema, and the typed query parameters. */
function checkedBody(route: Route, request: Incoming): Wire {
	for (const parameter of route.operation.parameters ?? []) {
		const value = request.query[parameter.name];
		if (parameter.in !== 'query' || value === undefined) continue;
		const ok = parameter.type === 'integer' ? /^-?\d+$/.test(value) : parameter.type === 'boolean' ? /^(true|false)$/.test(value) : true;
		if (!ok) throw invalid(`type mismatch, parameter: ${parameter.name}, error: invalid ${parameter.type} "${value}"`);
	}
	const parameter = route.operation.parameters?.find((p) => p.in === 'body');
	if (!parameter?.schema || !request.raw.trim()) return {};
	let json: unknown;
	try {
		json = JSON.parse(request.raw);
	} catch (error) {
		throw invalid(`proto: syntax error: ${(error as Error).message}`);
	}
	const problem = violation(json, parameter.schema, route.definitions, parameter.name);
	if (problem) throw invalid(problem);
	return json as Wire;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

async function parseForm(raw: Buffer, contentType: string): Promise<FormData | null> {
	if (!contentType.startsWith('multipart/form-data')) return null;
	return new Request('http://fake-kfp/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) })
		.formData()
		.catch(() => null);
}

/** What the request log shows of a multipart body: its fields, files as name and text. */
async function recordedForm(form: FormData): Promise<Wire> {
	const fields: Wire = {};
	for (const [key, value] of form.entries()) fields[key] = typeof value === 'string' ? value : { filename: value.name, text: await value.text() };
	return fields;
}

function jsonOrText(raw: string): unknown {
	try {
		return raw ? JSON.parse(raw) : undefined;
	} catch {
		return raw;
	}
}

export async function startKfpServer(options: FakeKfpOptions = {}): Promise<FakeKfpServer> {
	const routes = loadRoutes();
	const state = new KfpState(options.multiUser ?? false, loadSwagger('kfp_v2beta1_filter.swagger.json').definitions);
	const handlers: Record<string, Handler> = { ...pipelineHandlers(state), ...experimentHandlers(state), ...runHandlers(state) };
	let token = options.token ?? null;
	const requests: RecordedKfpRequest[] = [];
	const faults = { failing: 0, status: 503, when: 'before' as 'before' | 'after', hanging: 0 };
	let ticker: NodeJS.Timeout | null = null;

	async function answer(request: Incoming): Promise<Reply> {
		const matched = matchRoute(routes, request.method, request.path);
		const upload = matched?.route.operation.operationId.startsWith('Upload') ?? false;
		try {
			if (!matched) throw notFound(`Not Found: ${request.method} ${request.path}`);
			checkAuth(request.authorization, token);
			const { route, params } = matched;
			const body = upload ? {} : checkedBody(route, request);
			const handler = handlers[route.operation.operationId];
			if (!handler) throw new GatewayError(12, `the fake KFP server does not implement ${route.operation.operationId}`);
			return { status: 200, json: await handler({ params, query: request.query, body, form: request.form }) };
		} catch (error) {
			if (error instanceof UploadError) return { status: error.status, json: { error_message: error.message, error_details: error.details } };
			if (!(error instanceof GatewayError)) throw error;
			const status = HTTP_STATUS_OF_CODE[error.code] ?? 500;
			// The upload routes are plain HTTP handlers: even their auth failures come in the v1 Error shape.
			if (upload) return { status, json: { error_message: error.message, error_details: error.message } };
			return { status, json: { code: error.code, message: error.message, details: error.details } };
		}
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://fake-kfp');
		const raw = await readBody(req);
		const form = await parseForm(raw, req.headers['content-type'] ?? '');
		const request: Incoming = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), raw: raw.toString('utf8'), form, authorization: req.headers.authorization };
		const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
		requests.push({ method: request.method, path: request.path, query: request.query, body: form ? await recordedForm(form) : jsonOrText(request.raw), headers });
		if (faults.hanging > 0) {
			faults.hanging--;
			return; // never answered; stop() drops the socket
		}
		const failing = faults.failing > 0;
		if (failing) faults.failing--;
		// 'after': the request takes effect and only its answer is lost, like a gateway timing out on a slow API server.
		const reply = failing && faults.when === 'before' ? null : await answer(request);
		const sent = failing ? { status: faults.status, json: { ...FAULTS[faults.status], details: [] } } : reply!;
		res.writeHead(sent.status, { 'content-type': 'application/json' }).end(JSON.stringify(sent.json));
	}

	let outage: 'reset' | 503 | null = null;
	const server = createServer((req, res) => {
		if (outage === 'reset') return void req.socket.destroy();
		if (outage === 503) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error or disconnect/reset before headers');
		handle(req, res).catch((error: unknown) => {
			if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 13, message: String(error), details: [] }));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	if (!address || typeof address === 'string') throw new Error('the fake KFP server has no TCP address');

	const advance = async (runId?: string): Promise<void> => {
		await Promise.all((runId ? [state.run(runId, 'advance')] : [...state.runs]).map((run) => state.advance(run)));
	};
	return {
		endpoint: `http://127.0.0.1:${address.port}`,
		requests,
		setToken: (next) => void (token = next),
		outcomeFor: (pipelineName, outcome) => void state.pipelineOutcomes.set(pipelineName, outcome),
		outcomeForRun: (runId, outcome) => void state.runOutcomes.set(runId, outcome),
		onSucceeded: (pipelineName, write) => void state.outputs.set(pipelineName, write),
		advance,
		autoAdvance(ms) {
			if (ticker) clearInterval(ticker);
			ticker = ms === null ? null : setInterval(() => void advance(), ms);
			ticker?.unref();
		},
		failNext(count, status = 503, when = 'before') {
			Object.assign(faults, { failing: count, status, when });
		},
		hangNext: (count) => void (faults.hanging = count),
		down: (how) => void (outage = how),
		async stop() {
			if (ticker) clearInterval(ticker);
			const closed = new Promise<void>((resolve) => server.close(() => resolve()));
			// Hung and keep-alive sockets would keep close() waiting forever.
			server.closeAllConnections();
			await closed;
		}
	};
}
