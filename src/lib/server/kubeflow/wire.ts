import { z } from 'zod';

// The KFP v2beta1 REST shapes we send and read, in one place.
// Contracts: tests/contracts/kfp_v2beta1_{run,pipeline,pipeline.upload,experiment,filter}.swagger.json
// The server marshals snake_case and omits every empty field (protojson EmitUnpopulated=false), so all
// but the ids are optional here, and objects are loose: fields added by newer servers pass through.

export const RUNTIME_STATES = [
	'RUNTIME_STATE_UNSPECIFIED',
	'PENDING',
	'RUNNING',
	'SUCCEEDED',
	'SKIPPED',
	'FAILED',
	'CANCELING',
	'CANCELED',
	'PAUSED'
] as const;
export type RuntimeState = (typeof RUNTIME_STATES)[number];

const TERMINAL_STATES: ReadonlySet<RuntimeState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

/** A run in one of these states will not change again (unless someone retries it). */
export function isTerminal(state: RuntimeState | null | undefined): boolean {
	return state != null && TERMINAL_STATES.has(state);
}

/** google.rpc.Status: gRPC-gateway error bodies, and Run.error on failed runs. */
export const rpcStatusSchema = z.looseObject({
	code: z.number().int().optional(),
	message: z.string().optional(),
	details: z.array(z.unknown()).optional()
});
export type RpcStatus = z.infer<typeof rpcStatusSchema>;

/** What the plain-HTTP upload handlers answer instead (v1beta1 Error). */
export const uploadErrorSchema = z.looseObject({ error_message: z.string().optional(), error_details: z.string().optional() });

// An omitted state is the protobuf zero value, not an unknown one.
const runtimeStateSchema = z.enum(RUNTIME_STATES).default('RUNTIME_STATE_UNSPECIFIED');

export const runSchema = z.looseObject({
	run_id: z.string(),
	experiment_id: z.string().optional(),
	display_name: z.string().optional(),
	description: z.string().optional(),
	storage_state: z.string().optional(),
	pipeline_version_reference: z.looseObject({ pipeline_id: z.string().optional(), pipeline_version_id: z.string().optional() }).optional(),
	runtime_config: z.looseObject({ parameters: z.record(z.string(), z.unknown()).optional(), pipeline_root: z.string().optional() }).optional(),
	service_account: z.string().optional(),
	created_at: z.string().optional(),
	scheduled_at: z.string().optional(),
	finished_at: z.string().optional(),
	state: runtimeStateSchema,
	error: rpcStatusSchema.optional(),
	state_history: z.array(z.looseObject({ update_time: z.string().optional(), state: runtimeStateSchema, error: rpcStatusSchema.optional() })).default([])
});
export type Run = z.infer<typeof runSchema>;

export const pipelineSchema = z.looseObject({
	pipeline_id: z.string(),
	name: z.string().optional(),
	display_name: z.string().optional(),
	description: z.string().optional(),
	created_at: z.string().optional(),
	namespace: z.string().optional()
});
export type Pipeline = z.infer<typeof pipelineSchema>;

export const pipelineVersionSchema = z.looseObject({
	pipeline_id: z.string(),
	pipeline_version_id: z.string(),
	name: z.string().optional(),
	display_name: z.string().optional(),
	description: z.string().optional(),
	created_at: z.string().optional(),
	pipeline_spec: z.record(z.string(), z.unknown()).optional()
});
export type PipelineVersion = z.infer<typeof pipelineVersionSchema>;

export const experimentSchema = z.looseObject({
	experiment_id: z.string(),
	display_name: z.string().optional(),
	description: z.string().optional(),
	created_at: z.string().optional(),
	namespace: z.string().optional(),
	storage_state: z.string().optional()
});
export type Experiment = z.infer<typeof experimentSchema>;

const page = { total_size: z.number().int().default(0), next_page_token: z.string().optional() };
export const listRunsSchema = z.looseObject({ runs: z.array(runSchema).default([]), ...page });
export const listPipelinesSchema = z.looseObject({ pipelines: z.array(pipelineSchema).default([]), ...page });
export const listPipelineVersionsSchema = z.looseObject({ pipeline_versions: z.array(pipelineVersionSchema).default([]), ...page });
export const listExperimentsSchema = z.looseObject({ experiments: z.array(experimentSchema).default([]), ...page });
export type RunPage = z.infer<typeof listRunsSchema>;

/** Terminate, retry, delete and archive answer `{}`. */
export const emptySchema = z.looseObject({});

/** filter.swagger's v2beta1Predicate; sent JSON-encoded in the `filter` query parameter. */
export type Predicate = { key: string } & (
	| { operation: 'EQUALS' | 'NOT_EQUALS' | 'IS_SUBSTRING'; string_value: string }
	| { operation: 'EQUALS' | 'NOT_EQUALS' | 'GREATER_THAN' | 'GREATER_THAN_EQUALS' | 'LESS_THAN' | 'LESS_THAN_EQUALS'; timestamp_value: string }
	| { operation: 'EQUALS' | 'NOT_EQUALS' | 'GREATER_THAN' | 'GREATER_THAN_EQUALS' | 'LESS_THAN' | 'LESS_THAN_EQUALS'; int_value: number }
	| { operation: 'IN'; string_values: { values: string[] } }
	| { operation: 'IN'; int_values: { values: number[] } }
);
export type Filter = { predicates: Predicate[] };

/**
 * The Run fields this platform sets when creating one (run.swagger's v2beta1Run), and nothing
 * more: the server rejects any field it does not know with a 400, so nothing may ride along.
 */
export type CreateRun = {
	display_name: string;
	description?: string;
	experiment_id?: string;
	pipeline_version_reference: { pipeline_id: string; pipeline_version_id?: string };
	runtime_config: { parameters: Record<string, unknown>; pipeline_root?: string };
	service_account?: string;
};

/** The request body for a CreateRun, copied field by field so extra properties on the argument never reach the wire. */
export function createRunBody(run: CreateRun): CreateRun {
	const { pipeline_id, pipeline_version_id } = run.pipeline_version_reference;
	const { parameters, pipeline_root } = run.runtime_config;
	return dropUndefined({
		display_name: run.display_name,
		description: run.description,
		experiment_id: run.experiment_id,
		pipeline_version_reference: dropUndefined({ pipeline_id, pipeline_version_id }),
		runtime_config: dropUndefined({ parameters, pipeline_root }),
		service_account: run.service_account
	});
}

function dropUndefined<T extends object>(value: T): T {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** gRPC status code names, for messages (HTTP status is derived from these by the gateway). */
export const GRPC_CODE_NAMES = [
	'OK',
	'Canceled',
	'Unknown',
	'InvalidArgument',
	'DeadlineExceeded',
	'NotFound',
	'AlreadyExists',
	'PermissionDenied',
	'ResourceExhausted',
	'FailedPrecondition',
	'Aborted',
	'OutOfRange',
	'Unimplemented',
	'Internal',
	'Unavailable',
	'DataLoss',
	'Unauthenticated'
] as const;

// Long enough for a list of pipeline problems, short enough for a log line.
const MAX_QUOTED = 1000;

/**
 * What a failed KFP answer says: gRPC-gateway routes send `{code, message, details}`, the upload
 * handlers `{error_message, error_details}`, and proxies in front (Istio, oauth2-proxy) plain text or HTML.
 */
export function serverErrorOf(body: string): { grpcCode: number | null; message: string } {
	let json: unknown;
	try {
		json = JSON.parse(body);
	} catch {
		const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
		return { grpcCode: null, message: shorten(text) || 'an empty answer' };
	}
	const status = rpcStatusSchema.safeParse(json);
	if (status.success && status.data.message) return { grpcCode: status.data.code ?? null, message: shorten(status.data.message) };
	const upload = uploadErrorSchema.safeParse(json);
	if (upload.success && (upload.data.error_message || upload.data.error_details)) {
		const { error_message: summary = '', error_details: details = '' } = upload.data;
		// The handlers often repeat the summary inside the details; say it once.
		return { grpcCode: null, message: shorten(details.includes(summary) ? details : [summary, details].filter(Boolean).join(': ')) };
	}
	return { grpcCode: null, message: shorten(body.trim()) };
}

function shorten(text: string): string {
	return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}
