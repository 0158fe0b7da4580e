import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

// A KFP v2 compiled pipeline (the PipelineSpec IR the SDK writes), checked the way the KFP API
// server checks it on upload, so a broken pipeline is refused here with named problems instead of
// by the server with one opaque message. Examples that must pass:
// tests/contracts/kfp_two_step_pipeline_containerized.yaml, kfp_producer_consumer_param_pipeline.yaml

/** The only IR version KFP 2.x accepts. */
export const SCHEMA_VERSION = '2.1.0';
export const PARAMETER_TYPES = ['STRING', 'NUMBER_INTEGER', 'NUMBER_DOUBLE', 'BOOLEAN', 'LIST', 'STRUCT'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

// Loose objects throughout: the IR has many fields we never read, and they must survive untouched.
// parameterType stays a plain string here so a wrong one becomes a named problem, not a zod issue.
const parameterSpecSchema = z.looseObject({
	parameterType: z.string().optional(),
	defaultValue: z.unknown().optional(),
	isOptional: z.boolean().optional()
});
const inputDefinitionsSchema = z.looseObject({ parameters: z.record(z.string(), parameterSpecSchema).optional() });
const taskSchema = z.looseObject({
	componentRef: z.looseObject({ name: z.string({ error: 'componentRef.name is missing' }) }, { error: 'componentRef is missing' }),
	dependentTasks: z.array(z.string()).optional()
});
const dagSchema = z.looseObject({ tasks: z.record(z.string(), taskSchema).optional() });
const componentSchema = z.looseObject({
	executorLabel: z.string().optional(),
	dag: dagSchema.optional(),
	inputDefinitions: inputDefinitionsSchema.optional()
});
const compiledPipelineSchema = z.looseObject({
	schemaVersion: z.string({ error: `schemaVersion is missing or not a string (the KFP SDK writes "${SCHEMA_VERSION}")` }),
	pipelineInfo: z.looseObject(
		{ name: z.string({ error: 'pipelineInfo.name is missing' }) },
		{ error: 'pipelineInfo is missing (it names the pipeline)' }
	),
	root: componentSchema.optional(),
	components: z.record(z.string(), componentSchema).optional(),
	deploymentSpec: z.looseObject({ executors: z.record(z.string(), z.unknown()).optional() }).optional()
});

export type CompiledPipeline = z.infer<typeof compiledPipelineSchema>;
export type DeclaredParameter = { parameterType: ParameterType; defaultValue?: unknown; isOptional?: boolean };
export type PipelineCheck = { spec: CompiledPipeline | null; problems: string[] };

// Kubernetes DNS-1123 label: the name ends up in Argo workflow and pod names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_NAME_LENGTH = 63;

/**
 * Parses a compiled pipeline (YAML or JSON; JSON is YAML) and lists what the KFP server would
 * refuse. A second YAML document, where the SDK puts the platform spec, is left alone.
 */
export function checkCompiledPipeline(text: string): PipelineCheck {
	const documents = parseAllDocuments(text);
	const first = Array.isArray(documents) ? documents[0] : undefined;
	if (!first) return { spec: null, problems: ['the file holds no YAML or JSON document'] };
	if (first.errors.length > 0) return { spec: null, problems: first.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`) };
	const parsed = compiledPipelineSchema.safeParse(first.toJS());
	if (!parsed.success) {
		const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
		return { spec: null, problems };
	}
	const spec = parsed.data;
	return { spec, problems: [...headerProblems(spec), ...structureProblems(spec), ...parameterTypeProblems(spec)] };
}

function headerProblems(spec: CompiledPipeline): string[] {
	const problems: string[] = [];
	if (spec.schemaVersion !== SCHEMA_VERSION) {
		problems.push(`schemaVersion is "${spec.schemaVersion}"; KFP accepts only "${SCHEMA_VERSION}" (recompile with KFP SDK 2.x)`);
	}
	const name = spec.pipelineInfo.name;
	if (name.length > MAX_NAME_LENGTH || !DNS_LABEL.test(name)) {
		problems.push(
			`pipelineInfo.name "${name}" is not DNS-like: use lower-case letters, digits and '-', at most ${MAX_NAME_LENGTH} characters, starting and ending with a letter or digit`
		);
	}
	return problems;
}

function structureProblems(spec: CompiledPipeline): string[] {
	if (!spec.root) return ['root is missing: a compiled pipeline needs a root component with a dag'];
	const problems: string[] = spec.root.dag ? [] : ['root has no dag: the pipeline has no tasks to run'];
	const components = spec.components ?? {};
	const executors = spec.deploymentSpec?.executors ?? {};
	const dags: Array<[string, z.infer<typeof dagSchema> | undefined]> = [
		['root', spec.root.dag],
		...Object.entries(components).map(([name, c]): [string, z.infer<typeof dagSchema> | undefined] => [`component "${name}"`, c.dag])
	];
	for (const [owner, dag] of dags) {
		const tasks = dag?.tasks ?? {};
		for (const [taskName, task] of Object.entries(tasks)) {
			if (!(task.componentRef.name in components)) {
				problems.push(`task "${taskName}" in ${owner} refers to component "${task.componentRef.name}", which is not in components`);
			}
			for (const upstream of task.dependentTasks ?? []) {
				if (!(upstream in tasks)) problems.push(`task "${taskName}" in ${owner} depends on "${upstream}", which is not a task of that dag`);
			}
		}
	}
	for (const [name, component] of Object.entries(components)) {
		if (component.executorLabel === undefined && !component.dag) problems.push(`component "${name}" has neither an executorLabel nor a dag`);
		if (component.executorLabel !== undefined && !(component.executorLabel in executors)) {
			problems.push(`component "${name}" runs executor "${component.executorLabel}", which is not in deploymentSpec.executors`);
		}
	}
	return problems;
}

function parameterTypeProblems(spec: CompiledPipeline): string[] {
	const problems: string[] = [];
	const owners: Array<[string, z.infer<typeof componentSchema> | undefined]> = [
		['root', spec.root],
		...Object.entries(spec.components ?? {}).map(([name, c]): [string, z.infer<typeof componentSchema>] => [`component "${name}"`, c])
	];
	for (const [owner, component] of owners) {
		for (const [name, parameter] of Object.entries(component?.inputDefinitions?.parameters ?? {})) {
			const type = parameter.parameterType;
			if (!isParameterType(type)) {
				problems.push(`${owner} input parameter "${name}" has parameterType ${type === undefined ? 'missing' : `"${type}"`}; expected one of ${PARAMETER_TYPES.join(', ')}`);
			} else if (parameter.defaultValue !== undefined && !fitsType(parameter.defaultValue, type)) {
				problems.push(`${owner} input parameter "${name}" has a defaultValue that is not a ${type}: ${JSON.stringify(parameter.defaultValue)}`);
			}
		}
	}
	return problems;
}

function isParameterType(value: string | undefined): value is ParameterType {
	return (PARAMETER_TYPES as readonly string[]).includes(value ?? '');
}

/** Whether a JSON value can stand for a parameter of this type (protobuf Value: all numbers are doubles). */
function fitsType(value: unknown, type: ParameterType): boolean {
	switch (type) {
		case 'STRING':
			return typeof value === 'string';
		case 'NUMBER_INTEGER':
			return typeof value === 'number' && Number.isInteger(value);
		case 'NUMBER_DOUBLE':
			return typeof value === 'number' && Number.isFinite(value);
		case 'BOOLEAN':
			return typeof value === 'boolean';
		case 'LIST':
			return Array.isArray(value);
		case 'STRUCT':
			return typeof value === 'object' && value !== null && !Array.isArray(value);
	}
}

/** The root input parameters: what `runtime_config.parameters` may set. Parameters with a bad type are left out. */
export function declaredParameters(spec: CompiledPipeline): Record<string, DeclaredParameter> {
	const declared: Record<string, DeclaredParameter> = {};
	for (const [name, p] of Object.entries(spec.root?.inputDefinitions?.parameters ?? {})) {
		if (!isParameterType(p.parameterType)) continue;
		const parameter: DeclaredParameter = { parameterType: p.parameterType };
		if (p.defaultValue !== undefined) parameter.defaultValue = p.defaultValue;
		if (p.isOptional !== undefined) parameter.isOptional = p.isOptional;
		declared[name] = parameter;
	}
	return declared;
}

/** What is wrong with these runtime parameters for this pipeline: unknown names, wrong types, required ones missing. */
export function checkRuntimeParameters(spec: CompiledPipeline, parameters: Record<string, unknown>): string[] {
	const declared = declaredParameters(spec);
	const pipeline = spec.pipelineInfo.name;
	const problems: string[] = [];
	const known = Object.keys(declared).join(', ') || 'none';
	for (const [name, value] of Object.entries(parameters)) {
		const parameter = declared[name];
		if (!parameter) problems.push(`parameter "${name}" is not an input of pipeline "${pipeline}" (its inputs: ${known})`);
		else if (!fitsType(value, parameter.parameterType)) {
			problems.push(`parameter "${name}" of pipeline "${pipeline}" must be a ${parameter.parameterType}, not ${JSON.stringify(value)}`);
		}
	}
	for (const [name, parameter] of Object.entries(declared)) {
		const required = !parameter.isOptional && parameter.defaultValue === undefined;
		if (required && !(name in parameters)) problems.push(`parameter "${name}" of pipeline "${pipeline}" is required and has no default`);
	}
	return problems;
}
