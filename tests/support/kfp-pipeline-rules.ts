/**
 * How the fake KFP server judges a compiled pipeline and a run's parameters: its own reading of
 * the KFP IR (PipelineSpec, schema 2.1.0; examples in tests/contracts/kfp_two_step_pipeline_containerized.yaml
 * and kfp_producer_consumer_param_pipeline.yaml), written apart from the production checks in
 * src/lib/server/kubeflow/pipeline-spec.ts so that a mistake there is caught here, not copied.
 */
import { parseAllDocuments } from 'yaml';

/** The fields of the PipelineSpec message; the API server's protojson refuses any other. */
const PIPELINE_SPEC_FIELDS = ['pipelineInfo', 'deploymentSpec', 'sdkVersion', 'schemaVersion', 'components', 'root', 'defaultPipelineRoot'];
const SCHEMA_VERSION = '2.1.0';
/** ParameterType.ParameterTypeEnum in pipeline_spec.proto. */
const PARAMETER_TYPES = ['NUMBER_DOUBLE', 'NUMBER_INTEGER', 'STRING', 'BOOLEAN', 'LIST', 'STRUCT', 'TASK_FINAL_STATUS'];
/** A Kubernetes DNS-1123 label: the name becomes part of Argo workflow and pod names. */
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Json = Record<string, unknown>;
type Parameter = { parameterType?: unknown; defaultValue?: unknown; isOptional?: unknown };
export type UploadedPipeline = Json & { pipelineInfo: { name: string }; root: Json };

const objectOr = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const snakeToCamel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The first YAML (or JSON) document of an uploaded file; the SDK puts the platform spec in a second one. */
export function parsePipelineFile(text: string): { pipeline: UploadedPipeline | null; problems: string[] } {
	const first = parseAllDocuments(text)[0];
	if (!first || !('errors' in first)) return { pipeline: null, problems: ['the file is empty'] };
	if (first.errors.length > 0) return { pipeline: null, problems: [`cannot parse the pipeline file: ${first.errors[0]!.message.split('\n')[0]}`] };
	return judgePipeline(first.toJS());
}

/** What the API server would say about this PipelineSpec, or the pipeline typed for the fake's use. */
export function judgePipeline(value: unknown): { pipeline: UploadedPipeline | null; problems: string[] } {
	if (!value || typeof value !== 'object' || Array.isArray(value)) return { pipeline: null, problems: ['the pipeline spec is not an object'] };
	const spec = value as Json;
	const problems: string[] = [];
	for (const key of Object.keys(spec)) {
		if (!PIPELINE_SPEC_FIELDS.includes(snakeToCamel(key))) problems.push(`proto: unknown field "${key}" in PipelineSpec`);
	}
	if (spec.schemaVersion !== SCHEMA_VERSION) problems.push(`KFP only supports schemaVersion ${SCHEMA_VERSION}, not ${JSON.stringify(spec.schemaVersion)}`);
	const name = objectOr(spec.pipelineInfo).name;
	if (typeof name !== 'string' || name === '') problems.push('pipelineInfo.name is empty');
	else if (!DNS_LABEL.test(name)) problems.push(`pipelineInfo.name "${name}" is not DNS-like (lower-case letters, digits and '-', at most 63)`);
	const root = objectOr(spec.root);
	if (!spec.root) problems.push('root is missing');
	else if (!root.dag) problems.push('root has no dag');
	problems.push(...componentProblems(spec), ...parameterProblems(root));
	return problems.length > 0 ? { pipeline: null, problems } : { pipeline: spec as UploadedPipeline, problems };
}

/** Every task names a component that exists, and every component either runs an executor that exists or is a dag. */
function componentProblems(spec: Json): string[] {
	const components = objectOr(spec.components);
	const executors = objectOr(objectOr(spec.deploymentSpec).executors);
	const problems: string[] = [];
	for (const [owner, component] of [['root', spec.root] as const, ...Object.entries(components)]) {
		for (const [task, body] of Object.entries(objectOr(objectOr(objectOr(component).dag).tasks))) {
			const ref = objectOr(objectOr(body).componentRef).name;
			if (typeof ref !== 'string' || !(ref in components)) problems.push(`task "${task}" of ${owner} uses component ${JSON.stringify(ref)}, which is not defined`);
		}
		const label = objectOr(component).executorLabel;
		if (owner !== 'root' && label !== undefined && !(String(label) in executors)) problems.push(`component "${owner}" runs executor "${label}", which is not defined`);
	}
	return problems;
}

function rootParameters(root: Json): Record<string, Parameter> {
	return objectOr(objectOr(root.inputDefinitions).parameters) as Record<string, Parameter>;
}

function parameterProblems(root: Json): string[] {
	return Object.entries(rootParameters(root))
		.filter(([, p]) => !PARAMETER_TYPES.includes(String(p.parameterType)))
		.map(([name, p]) => `root input "${name}" has parameterType ${JSON.stringify(p.parameterType)}`);
}

/** Whether a protobuf Value fits a parameter type (JSON numbers are doubles; integers must be whole). */
function fits(value: unknown, type: unknown): boolean {
	if (type === 'STRING') return typeof value === 'string';
	if (type === 'NUMBER_INTEGER') return Number.isInteger(value);
	if (type === 'NUMBER_DOUBLE') return typeof value === 'number';
	if (type === 'BOOLEAN') return typeof value === 'boolean';
	if (type === 'LIST') return Array.isArray(value);
	if (type === 'STRUCT') return objectOr(value) === value;
	return false;
}

/** What is wrong with a run's runtime_config.parameters: only the root's declared inputs, of their types, the required ones present. */
export function runParameterProblems(pipeline: UploadedPipeline, parameters: Record<string, unknown>): string[] {
	const declared = rootParameters(pipeline.root);
	const owner = `pipeline "${pipeline.pipelineInfo.name}"`;
	const problems: string[] = [];
	for (const [name, value] of Object.entries(parameters)) {
		const parameter = declared[name];
		if (!parameter) problems.push(`parameter "${name}" is not an input of ${owner}`);
		else if (!fits(value, parameter.parameterType)) problems.push(`parameter "${name}" of ${owner} is not a ${String(parameter.parameterType)}: ${JSON.stringify(value)}`);
	}
	for (const [name, parameter] of Object.entries(declared)) {
		if (!(name in parameters) && parameter.isOptional !== true && parameter.defaultValue === undefined) problems.push(`parameter "${name}" of ${owner} is required`);
	}
	return problems;
}
