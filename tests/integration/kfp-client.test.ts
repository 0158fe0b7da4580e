import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { createKfpClient, isTerminal, KfpError, type CreateRun, type KfpClient, type KfpClientOptions } from '../../src/lib/server/kubeflow/client';
import { checkCompiledPipeline, checkRuntimeParameters, declaredParameters } from '../../src/lib/server/kubeflow/pipeline-spec';
import { readContract } from '../support/contracts';
import { startKfpServer, type FakeKfpOptions, type FakeKfpServer } from '../support/kfp-server';

const TWO_STEP = readContract('kfp_two_step_pipeline_containerized.yaml');
const PRODUCER_CONSUMER = readContract('kfp_producer_consumer_param_pipeline.yaml');

/** The two-step contract pipeline with one change, as JSON (which is YAML too). */
function brokenTwoStep(change: (spec: any) => void): string {
	const spec = parse(TWO_STEP);
	change(spec);
	return JSON.stringify(spec);
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
	await Promise.all(cleanups.map((cleanup) => cleanup()));
	cleanups = [];
});

async function serve(options: FakeKfpOptions = {}): Promise<FakeKfpServer> {
	const server = await startKfpServer(options);
	cleanups.push(() => server.stop());
	return server;
}

/** A client without real waits between retries; the waits asked for are kept in `delays`. */
function clientOf(server: FakeKfpServer, options: Partial<KfpClientOptions> = {}): KfpClient & { delays: number[] } {
	const delays: number[] = [];
	const client = createKfpClient({ endpoint: server.endpoint, timeoutMs: 2_000, sleep: async (ms) => void delays.push(ms), ...options });
	return Object.assign(client, { delays });
}

async function failureOf(work: Promise<unknown>): Promise<KfpError> {
	const error = await work.then(
		() => null,
		(e: unknown) => e
	);
	expect(error).toBeInstanceOf(KfpError);
	return error as KfpError;
}

async function tokenFile(token: string | null): Promise<string> {
	const dir = await mkdtemp(path.join(tmpdir(), 'kfp-token-'));
	cleanups.push(() => rm(dir, { recursive: true, force: true }));
	const file = path.join(dir, 'token');
	if (token !== null) await writeFile(file, `${token}\n`);
	return file;
}

/** The two-step pipeline uploaded and an experiment to run it in: what a training run needs. */
async function trainingRun(client: KfpClient, overrides: Partial<CreateRun> = {}): Promise<CreateRun> {
	const { pipelineId, pipelineVersionId } = await client.ensurePipeline('containerized-two-step-pipeline', TWO_STEP);
	const experiment = await client.ensureExperiment('reward-models');
	return {
		display_name: 'rm-train ds=prefs-v3 sha=9b2cf535',
		description: 'dedup-key=prefs-v3:9b2cf535f27731c974343645a3985328',
		experiment_id: experiment.experiment_id,
		pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: pipelineVersionId },
		runtime_config: { parameters: { text: 'hello' }, pipeline_root: 'minio://mlpipeline/v2/artifacts' },
		service_account: 'default-editor',
		...overrides
	};
}

describe('checking a compiled pipeline before KFP sees it', () => {
	it('accepts both contract pipelines and reads their root parameters', () => {
		for (const text of [TWO_STEP, PRODUCER_CONSUMER]) expect(checkCompiledPipeline(text).problems).toEqual([]);
		const producer = checkCompiledPipeline(PRODUCER_CONSUMER).spec!;
		expect(declaredParameters(producer)).toEqual({ text: { parameterType: 'STRING', defaultValue: 'Hello world', isOptional: true } });
	});

	it.each([
		['schemaVersion 2.0.0', (s: any) => (s.schemaVersion = '2.0.0'), /schemaVersion is "2\.0\.0"; KFP accepts only "2\.1\.0"/],
		['a name with capitals', (s: any) => (s.pipelineInfo.name = 'RewardModel'), /pipelineInfo\.name "RewardModel" is not DNS-like/],
		['a name with underscores', (s: any) => (s.pipelineInfo.name = 'reward_model'), /pipelineInfo\.name "reward_model" is not DNS-like/],
		['a name of 64 characters', (s: any) => (s.pipelineInfo.name = 'a'.repeat(64)), /is not DNS-like.*at most 63 characters/],
		['no root', (s: any) => delete s.root, /root is missing/],
		['a root without a dag', (s: any) => delete s.root.dag, /root has no dag/],
		['a task naming a missing component', (s: any) => (s.root.dag.tasks.component2.componentRef.name = 'comp-gone'), /task "component2" in root refers to component "comp-gone"/],
		['a component without its executor', (s: any) => delete s.deploymentSpec.executors['exec-component1'], /component "comp-component1" runs executor "exec-component1", which is not in deploymentSpec\.executors/],
		['a parameter of an unknown type', (s: any) => (s.root.inputDefinitions.parameters.text.parameterType = 'STR'), /root input parameter "text" has parameterType "STR"/],
		['a default of the wrong type', (s: any) => (s.root.inputDefinitions.parameters.text.defaultValue = 3), /defaultValue that is not a STRING: 3/]
	])('names the problem in a pipeline with %s', (_, change, problem) => {
		const { problems } = checkCompiledPipeline(brokenTwoStep(change));
		expect(problems).toHaveLength(1);
		expect(problems[0]).toMatch(problem);
	});

	it('says what is wrong with runtime parameters: undeclared, mistyped, missing', () => {
		const spec = checkCompiledPipeline(brokenTwoStep((s) => delete s.root.inputDefinitions.parameters.text.defaultValue)).spec!;
		expect(checkRuntimeParameters(spec, { text: 'hi' })).toEqual([]);
		expect(checkRuntimeParameters(spec, { text: 'hi', dataset_uri: 's3://x' })).toEqual([
			'parameter "dataset_uri" is not an input of pipeline "containerized-two-step-pipeline" (its inputs: text)'
		]);
		expect(checkRuntimeParameters(spec, { text: 5 })).toEqual(['parameter "text" of pipeline "containerized-two-step-pipeline" must be a STRING, not 5']);
		expect(checkRuntimeParameters(spec, {})).toEqual(['parameter "text" of pipeline "containerized-two-step-pipeline" is required and has no default']);
	});
});

describe('uploading pipelines', () => {
	it('uploads a contract pipeline as a multipart file and answers a 409 with the pipeline of that name', async () => {
		const server = await serve();
		const client = clientOf(server);
		const first = await client.uploadPipeline({ name: 'producer-consumer', description: 'smoke test', text: PRODUCER_CONSUMER });
		const again = await client.uploadPipeline({ name: 'producer-consumer', text: PRODUCER_CONSUMER });
		expect(again.pipeline_id).toBe(first.pipeline_id);
		expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
			'POST /apis/v2beta1/pipelines/upload',
			'POST /apis/v2beta1/pipelines/upload',
			'GET /apis/v2beta1/pipelines'
		]);
		expect(server.requests[0]!.query).toEqual({ name: 'producer-consumer', description: 'smoke test' });
		expect(server.requests[0]!.body).toEqual({ uploadfile: { filename: 'producer-consumer.yaml', text: PRODUCER_CONSUMER } });
		expect(JSON.parse(server.requests[2]!.query.filter!)).toEqual({ predicates: [{ key: 'name', operation: 'EQUALS', string_value: 'producer-consumer' }] });
	});

	it('uploads the same YAML once and a changed YAML as a new version of the same pipeline', async () => {
		const server = await serve();
		const client = clientOf(server);
		const first = await client.ensurePipeline('two-step', TWO_STEP);
		const same = await client.ensurePipeline('two-step', TWO_STEP);
		const changed = await client.ensurePipeline('two-step', TWO_STEP.replace('Hello KFP Containerized!', 'Hello again'));
		expect(same).toEqual(first);
		expect(changed.pipelineId).toBe(first.pipelineId);
		expect(changed.pipelineVersionId).not.toBe(first.pipelineVersionId);
		expect(server.requests.filter((r) => r.path === '/apis/v2beta1/pipelines/upload_version')).toHaveLength(2);
	});

	it('answers a 409 on a version name with the version of that name', async () => {
		const server = await serve();
		const client = clientOf(server);
		const pipeline = await client.uploadPipeline({ name: 'two-step', text: TWO_STEP });
		const version = await client.uploadPipelineVersion({ pipelineId: pipeline.pipeline_id, name: 'v2', text: TWO_STEP });
		const again = await client.uploadPipelineVersion({ pipelineId: pipeline.pipeline_id, name: 'v2', text: TWO_STEP });
		expect(again.pipeline_version_id).toBe(version.pipeline_version_id);
		expect(again.pipeline_spec).toMatchObject({ pipelineInfo: { name: 'containerized-two-step-pipeline' } });
	});

	it('does not send a broken pipeline at all, and names its problems', async () => {
		const server = await serve();
		const error = await failureOf(clientOf(server).ensurePipeline('two-step', brokenTwoStep((s) => (s.schemaVersion = '2.0.0'))));
		expect(error.message).toMatch(/^Pipeline "two-step" was not uploaded: .*schemaVersion is "2\.0\.0"/);
		expect(server.requests).toEqual([]);
	});

	it("reports the upload handler's own error when the server refuses a pipeline", async () => {
		const server = await serve();
		const text = brokenTwoStep((s) => (s.pipelineInfo.name = 'Two_Step'));
		const error = await failureOf(clientOf(server).uploadPipeline({ name: 'two-step', text }));
		expect(error).toMatchObject({ status: 400, grpcCode: null, attempts: 1 });
		expect(error.message).toMatch(/^KFP upload pipeline "two-step" failed \(HTTP 400\): Failed to create a pipeline .*pipelineInfo\.name "Two_Step" is not DNS-like/);
	});
});

describe('experiments', () => {
	it('creates an experiment once and finds it by display name afterwards', async () => {
		const server = await serve();
		const client = clientOf(server);
		const created = await client.ensureExperiment('reward-models');
		const found = await client.ensureExperiment('reward-models');
		expect(found.experiment_id).toBe(created.experiment_id);
		expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
		expect(server.requests.find((r) => r.method === 'POST')!.body).toEqual({ display_name: 'reward-models' });
	});
});

describe('training runs', () => {
	it('creates a run with exactly the swagger fields and gets it back PENDING', async () => {
		const server = await serve();
		const client = clientOf(server);
		const request = await trainingRun(client);
		// A caller's extra property must never reach the server, which would answer 400.
		const withExtra = { ...request, dedupe_key: 'prefs-v3' };
		const run = await client.createRun(withExtra);
		const sent = server.requests.findLast((r) => r.method === 'POST' && r.path === '/apis/v2beta1/runs')!;
		expect(sent.body).toEqual(request);
		expect(sent.headers['content-type']).toBe('application/json');
		expect(run).toMatchObject({ state: 'PENDING', display_name: request.display_name, description: request.description, storage_state: 'AVAILABLE' });
		expect(run.state_history).toEqual([{ update_time: run.created_at, state: 'PENDING' }]);
		expect(run.error).toBeUndefined();
		expect(isTerminal(run.state)).toBe(false);
	});

	it('follows a run through advance() from PENDING to SUCCEEDED', async () => {
		const server = await serve();
		const client = clientOf(server);
		const run = await client.createRun(await trainingRun(client));
		server.advance(run.run_id);
		expect((await client.getRun(run.run_id)).state).toBe('RUNNING');
		server.advance();
		const done = await client.getRun(run.run_id);
		expect(done.state).toBe('SUCCEEDED');
		expect(isTerminal(done.state)).toBe(true);
		expect(done.state_history.map((s) => s.state)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
	});

	it("exposes the server's error message on a FAILED run", async () => {
		const server = await serve();
		const client = clientOf(server);
		server.outcomeFor('containerized-two-step-pipeline', { state: 'FAILED', message: 'component1: OOMKilled (exit code 137)' });
		const run = await client.createRun(await trainingRun(client));
		server.advance();
		server.advance();
		const failed = await client.getRun(run.run_id);
		expect(failed.state).toBe('FAILED');
		expect(failed.error?.message).toBe('component1: OOMKilled (exit code 137)');
	});

	it('refuses runtime parameters the pipeline does not declare, naming them', async () => {
		const server = await serve();
		const client = clientOf(server);
		const request = await trainingRun(client, { runtime_config: { parameters: { text: 'hi', learning_rate: 1e-5 } } });
		const error = await failureOf(client.createRun(request));
		expect(error).toMatchObject({ status: 400, grpcCode: 3, attempts: 1 });
		expect(error.message).toContain('parameter "learning_rate" is not an input of pipeline "containerized-two-step-pipeline"');
	});

	it('finds a run by its description, the dedupe key, with a server-side filter', async () => {
		const server = await serve();
		const client = clientOf(server);
		const request = await trainingRun(client);
		const wanted = await client.createRun(request);
		await client.createRun({ ...request, description: 'dedup-key=prefs-v4:0000' });
		const found = await client.findRunByDescription(request.experiment_id!, request.description!);
		expect(found?.run_id).toBe(wanted.run_id);
		expect(await client.findRunByDescription(request.experiment_id!, 'dedup-key=never')).toBeNull();
		const lookup = server.requests.findLast((r) => r.method === 'GET' && r.path === '/apis/v2beta1/runs')!;
		expect(lookup.query).toMatchObject({ experiment_id: request.experiment_id, sort_by: 'created_at desc' });
	});

	it('lists runs with IN on state, newest first, a page at a time', async () => {
		const server = await serve();
		const client = clientOf(server);
		const request = await trainingRun(client);
		const runs = [];
		for (const name of ['a', 'b', 'c']) runs.push(await client.createRun({ ...request, display_name: name }));
		server.advance(runs[0]!.run_id);
		const filter = { predicates: [{ key: 'state', operation: 'IN' as const, string_values: { values: ['PENDING'] } }] };
		const page = await client.listRuns({ experimentId: request.experiment_id, filter, pageSize: 1, sortBy: 'created_at desc' });
		expect(page.runs.map((r) => r.display_name)).toEqual(['c']);
		expect(page.total_size).toBe(2);
		const next = await client.listRuns({ experimentId: request.experiment_id, filter, pageSize: 1, sortBy: 'created_at desc', pageToken: page.next_page_token });
		expect(next.runs.map((r) => r.display_name)).toEqual(['b']);
		expect(next.next_page_token).toBeUndefined();
	});

	it('terminates a run: CANCELING, then CANCELED', async () => {
		const server = await serve();
		const client = clientOf(server);
		const run = await client.createRun(await trainingRun(client));
		await client.terminateRun(run.run_id);
		expect((await client.getRun(run.run_id)).state).toBe('CANCELING');
		server.advance(run.run_id);
		expect((await client.getRun(run.run_id)).state).toBe('CANCELED');
	});

	it('retries a FAILED run, which starts again from PENDING', async () => {
		const server = await serve();
		const client = clientOf(server);
		const run = await client.createRun(await trainingRun(client));
		server.outcomeForRun(run.run_id, { state: 'FAILED', message: 'node preempted' });
		server.advance();
		server.advance();
		await client.retryRun(run.run_id);
		const retried = await client.getRun(run.run_id);
		expect(retried.state).toBe('PENDING');
		expect(retried.error).toBeUndefined();
		const error = await failureOf(client.retryRun(run.run_id));
		expect(error.message).toMatch(/^KFP retry run \S+ failed \(HTTP 400, FailedPrecondition\): .*only FAILED or CANCELED runs/);
	});

	it('does not start a second run when the answer to a create is lost', async () => {
		const server = await serve();
		const client = clientOf(server);
		const request = await trainingRun(client);
		server.failNext(1, 504, 'after');
		const run = await client.createRun(request);
		const created = await client.listRuns({ experimentId: request.experiment_id });
		expect(created.runs.map((r) => r.run_id)).toEqual([run.run_id]);
		expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/apis/v2beta1/runs')).toHaveLength(1);
	});

	it('sends a create without a dedupe key once only, since a retry could start a second run', async () => {
		const server = await serve();
		const client = clientOf(server);
		const request = await trainingRun(client, { description: undefined });
		server.failNext(1, 503);
		const error = await failureOf(client.createRun(request));
		expect(error).toMatchObject({ status: 503, attempts: 1 });
	});
});

describe('authentication with a projected ServiceAccount token', () => {
	it('reads the token file on every call, so a rotated token is used at once', async () => {
		const server = await serve({ token: 'token-1' });
		const file = await tokenFile('token-1');
		const client = clientOf(server, { tokenFile: file });
		await client.ensureExperiment('reward-models');
		await writeFile(file, 'token-2\n');
		server.setToken('token-2');
		await client.ensureExperiment('reward-models');
		expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
	});

	it("fails with the server's 401 when the token file is missing, and says no token was sent", async () => {
		const server = await serve({ token: 'token-1' });
		const client = clientOf(server, { tokenFile: await tokenFile(null) });
		const error = await failureOf(client.ensureExperiment('reward-models'));
		expect(error).toMatchObject({ status: 401, grpcCode: 16, attempts: 1 });
		expect(error.message).toMatch(/\(HTTP 401, Unauthenticated\): .*there is no user identity header \(no token was sent: .*token does not exist/);
		expect(server.requests[0]!.headers.authorization).toBeUndefined();
	});

	it('fails with 401 and never retries when the token is refused', async () => {
		const server = await serve({ token: 'token-1' });
		const client = clientOf(server, { tokenFile: await tokenFile('stale-token') });
		const error = await failureOf(client.uploadPipeline({ name: 'two-step', text: TWO_STEP }));
		expect(error).toMatchObject({ status: 401, attempts: 1 });
		expect(error.message).toMatch(/Failed to authenticate token review.*\(the bearer token from .* was refused/);
	});
});

describe('transient failures', () => {
	it('retries a 503 with growing waits and succeeds on the third attempt', async () => {
		const server = await serve();
		const client = clientOf(server);
		const experiment = await client.ensureExperiment('reward-models');
		server.failNext(2, 503);
		const runs = await client.listRuns({ experimentId: experiment.experiment_id });
		expect(runs).toMatchObject({ runs: [], total_size: 0 });
		expect(server.requests.filter((r) => r.path === '/apis/v2beta1/runs')).toHaveLength(3);
		expect(client.delays).toHaveLength(2);
		expect(client.delays[1]!).toBeGreaterThanOrEqual(client.delays[0]!);
	});

	it("gives up after the retries, naming the attempts and the server's message", async () => {
		const server = await serve();
		const client = clientOf(server, { retries: 4 });
		server.failNext(100, 503);
		const error = await failureOf(client.getRun('3e9d1c55'));
		expect(error).toMatchObject({ status: 503, grpcCode: 14, attempts: 5 });
		expect(error.message).toBe(
			'KFP get run 3e9d1c55 failed after 5 attempts (HTTP 503, Unavailable): upstream connect error or disconnect/reset before headers. reset reason: connection failure'
		);
	});

	it('times out a server that never answers, after the retries', async () => {
		const server = await serve();
		const client = clientOf(server, { timeoutMs: 50, retries: 2 });
		server.hangNext(100);
		const error = await failureOf(client.getRun('3e9d1c55'));
		expect(error).toMatchObject({ status: null, attempts: 3 });
		expect(error.message).toBe('KFP get run 3e9d1c55 failed after 3 attempts: no answer within 50 ms [GET /apis/v2beta1/runs/3e9d1c55]');
	});

	it('retries a server that cannot be reached, then says where it tried', async () => {
		const gone = await startKfpServer();
		await gone.stop();
		const client = clientOf(gone, { retries: 1 });
		const error = await failureOf(client.getRun('3e9d1c55'));
		expect(error).toMatchObject({ status: null, attempts: 2 });
		expect(error.message).toMatch(/^KFP get run 3e9d1c55 failed after 2 attempts: cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
	});

	it('refuses an endpoint that is not an http(s) URL before sending anything', () => {
		expect(() => createKfpClient({ endpoint: 'ml-pipeline.kubeflow:8888' })).toThrow(/not an http\(s\) URL \(expected e\.g\. http:\/\/ml-pipeline/);
	});

	it('never retries a 4xx', async () => {
		const server = await serve();
		const error = await failureOf(clientOf(server).getRun('no-such-run'));
		expect(error).toMatchObject({ status: 404, grpcCode: 5, attempts: 1 });
		expect(error.message).toContain('Run no-such-run not found');
	});
});

describe('multi-user mode (Kubeflow Platform)', () => {
	it('answers a create without experiment_id with the readable 400', async () => {
		const server = await serve({ multiUser: true });
		const client = clientOf(server, { namespace: 'team-rlhf' });
		const { experiment_id: _, ...request } = await trainingRun(client);
		const error = await failureOf(client.createRun(request));
		expect(error).toMatchObject({ status: 400, grpcCode: 3 });
		expect(error.message).toMatch(/^KFP create run "rm-train ds=prefs-v3 sha=9b2cf535" failed \(HTTP 400, InvalidArgument\): .*Experiment id can not be empty in multi-user mode$/);
	});

	it('creates experiments in the namespace and lists runs by it', async () => {
		const server = await serve({ multiUser: true });
		const client = clientOf(server, { namespace: 'team-rlhf' });
		const run = await client.createRun(await trainingRun(client));
		expect(server.requests.find((r) => r.path === '/apis/v2beta1/experiments' && r.method === 'POST')!.body).toEqual({
			display_name: 'reward-models',
			namespace: 'team-rlhf'
		});
		expect((await client.listRuns()).runs.map((r) => r.run_id)).toEqual([run.run_id]);
		const unscoped = await failureOf(clientOf(server).listRuns());
		expect(unscoped.message).toContain('In multi-user mode, ListRuns must filter by experiment_id or namespace');
	});
});

describe('the fake server holds requests to the swagger', () => {
	it('answers an unknown field with 400 in the gRPC-gateway shape', async () => {
		const server = await serve();
		const response = await fetch(`${server.endpoint}/apis/v2beta1/experiments`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ display_name: 'x', dedupe_key: 'y' })
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual({ code: 3, message: 'proto: unknown field "dedupe_key" in experiment', details: [] });
	});

	it('answers a wrong type deep inside a run with 400', async () => {
		const server = await serve();
		const response = await fetch(`${server.endpoint}/apis/v2beta1/runs`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ display_name: 'x', pipeline_version_reference: { pipeline_id: 7 } })
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ code: 3, message: 'proto: invalid value for string field run.pipeline_version_reference.pipeline_id: 7' });
	});

	it('judges uploads by its own reading of the IR: a field PipelineSpec lacks is refused, as protojson would', async () => {
		const text = brokenTwoStep((s) => (s.pipelineDescription = 'not a PipelineSpec field'));
		expect(checkCompiledPipeline(text).problems).toEqual([]); // the production check lets it pass; the server must not
		const server = await serve();
		const error = await failureOf(clientOf(server).uploadPipeline({ name: 'two-step', text }));
		expect(error).toMatchObject({ status: 400, grpcCode: null });
		expect(error.message).toContain('proto: unknown field "pipelineDescription" in PipelineSpec');
	});

	it('refuses a run whose parameter does not have the declared type', async () => {
		const server = await serve();
		const client = clientOf(server);
		const error = await failureOf(client.createRun(await trainingRun(client, { runtime_config: { parameters: { text: 7 } } })));
		expect(error).toMatchObject({ status: 400, grpcCode: 3 });
		expect(error.message).toContain('parameter "text" of pipeline "containerized-two-step-pipeline" is not a STRING: 7');
	});

	it('moves runs on its own with autoAdvance for end-to-end use', async () => {
		const server = await serve();
		const client = clientOf(server);
		const run = await client.createRun(await trainingRun(client));
		server.autoAdvance(5);
		await expect.poll(async () => (await client.getRun(run.run_id)).state, { timeout: 2_000, interval: 10 }).toBe('SUCCEEDED');
	});
});
