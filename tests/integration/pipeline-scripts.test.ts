import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { pipelineTexts } from '../../src/lib/server/kubeflow/pipelines';
import { metricsFileSchema } from '../../src/lib/server/training/metrics-file';

/**
 * The Python inside the two pipelines, which no Kubeflow runs here: every script compiles, and the
 * functions that write codelynn-metrics.json, fed a trainer log shaped as TRL 0.29's, write what the
 * platform's schema reads (training/metrics-file.ts).
 */

const python = spawnSync('python3', ['--version']).status === 0;
if (!python) console.warn('python3 is not on this machine: the pipelines’ embedded Python is not checked (install python3 to check it)');

type Executor = { container: { command: string[] } };

/** Each executor's script: the last element of `sh -ec <bootstrap> <script>`, the bootstrap exec-ing python3 -c "$0". */
function scripts(kind: 'reward_model' | 'ppo'): Array<{ executor: string; source: string }> {
	const [ir] = parseAllDocuments(pipelineTexts[kind]).map((doc) => doc.toJS() as { deploymentSpec: { executors: Record<string, Executor> } });
	return Object.entries(ir!.deploymentSpec.executors).map(([executor, { container }]) => {
		const [shell, flag, bootstrap, source] = container.command;
		expect([shell, flag]).toEqual(['sh', '-ec']);
		expect(bootstrap).toContain('python3 -u -c "$0" "$@"');
		return { executor, source: source! };
	});
}

const folder = python ? mkdtempSync(path.join(os.tmpdir(), 'pipeline-scripts-')) : '';

function saved(name: string, source: string): string {
	const file = path.join(folder, `${name}.py`);
	writeFileSync(file, source);
	return file;
}

/**
 * Loads a step's script as a module (its main() is guarded, so nothing runs), with boto3 stubbed
 * (the pods install it; these functions never call it), then runs `call` and prints its JSON last.
 */
function callStep(kind: 'reward_model' | 'ppo', executor: string, call: string): unknown {
	const source = scripts(kind).find((s) => s.executor === executor)!.source;
	const harness = [
		'import json, sys, types',
		'for name in ("boto3", "botocore", "botocore.config", "botocore.exceptions"): sys.modules[name] = types.ModuleType(name)',
		'sys.modules["botocore.config"].Config = object',
		'sys.modules["botocore.exceptions"].BotoCoreError = sys.modules["botocore.exceptions"].ClientError = Exception',
		'step = {"__name__": "pipeline_step"}',
		'exec(compile(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1], "exec"), step)',
		`print(json.dumps(eval(${JSON.stringify(call)}, step)))`
	].join('\n');
	const printed = execFileSync('python3', ['-c', harness, saved(`${kind}-${executor}`, source)], { encoding: 'utf8' });
	// The step's own messages come first; the answer is the last line.
	return JSON.parse(printed.trimEnd().split('\n').at(-1)!);
}

describe.skipIf(!python)('the pipelines’ embedded Python', () => {
	it.each(['reward_model', 'ppo'] as const)('%s: every script compiles', (kind) => {
		const found = scripts(kind);
		expect(found.length).toBe(2);
		for (const { executor, source } of found) {
			const compiled = spawnSync('python3', ['-m', 'py_compile', saved(`${kind}-${executor}-compile`, source)], { encoding: 'utf8' });
			expect(compiled.stderr, `${kind} ${executor}`).toBe('');
			expect(compiled.status).toBe(0);
		}
	});

	it('the reward model reports its last evaluation and last training loss, and the platform reads it', () => {
		const history = [
			{ loss: 0.69, grad_norm: 3.1, learning_rate: 1e-5, epoch: 0.5, step: 10 },
			{ eval_loss: 0.61, eval_accuracy: 0.7, eval_margin: 0.4, eval_mean_reward: 0.1, eval_runtime: 2.5, epoch: 1, step: 20 },
			{ loss: 0.55, grad_norm: 2.4, learning_rate: 5e-6, epoch: 1.5, step: 30 },
			{ eval_loss: 0.52, eval_accuracy: 0.76, eval_margin: 0.9, eval_mean_reward: 0.2, eval_runtime: 2.4, epoch: 2, step: 40 },
			{ train_runtime: 120, train_loss: 0.6, epoch: 2, step: 40 }
		];
		const file = metricsFileSchema.parse(callStep('reward_model', 'exec-train-reward-model', `reward_model_metrics(${JSON.stringify(history)}, "test", 48)`));
		expect(file).toMatchObject({ kind: 'reward_model', split: 'test', rows: 48, preference_accuracy: 0.76, loss: 0.52, train_loss: 0.55, mean_margin: 0.9 });
		// no evaluation logged: the file says so rather than inventing figures
		const empty = metricsFileSchema.parse(callStep('reward_model', 'exec-train-reward-model', 'reward_model_metrics([], "train", 12)'));
		expect(empty).toMatchObject({ split: 'train', rows: 12, preference_accuracy: null, loss: null, train_loss: null });
	});

	it('the reward model’s log comes from its newest checkpoint, and no checkpoint is left to upload', () => {
		const call = `(lambda tmp, pathlib: [
			[(pathlib.Path(tmp) / f"checkpoint-{step}").mkdir() for step in (20, 40, 100)],
			[(pathlib.Path(tmp) / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"log_history": [{"step": step}]})) for step in (20, 40, 100)],
			(pathlib.Path(tmp) / "model.safetensors").write_text("weights"),
			trainer_log(pathlib.Path(tmp)),
			sorted(p.name for p in pathlib.Path(tmp).iterdir())
		][-2:])(__import__("tempfile").mkdtemp(), __import__("pathlib"))`;
		expect(callStep('reward_model', 'exec-train-reward-model', call.replace(/\s*\n\s*/g, ' '))).toEqual([[{ step: 100 }], ['model.safetensors']]);
	});

	it('PPO reports the reward early and late, the KL at the end and the episodes, and the platform reads it', () => {
		const history = [0.1, 0.3, 0.6, 0.8, 1.1, 1.4, 1.8, 2.2].map((score, i) => ({ 'objective/scores': score, 'objective/kl': 0.01 * (i + 1), episode: 64 * (i + 1), eps: 3, step: i + 1 }));
		const file = metricsFileSchema.parse(callStep('ppo', 'exec-train-policy', `ppo_metrics(${JSON.stringify(history)}, 512)`));
		// eight updates: windows of two
		expect(file).toMatchObject({ kind: 'ppo', episodes: 512, first_mean_reward: expect.closeTo(0.2, 10), mean_reward: expect.closeTo(2.0, 10), kl: expect.closeTo(0.075, 10) });
		expect(file).toMatchObject({ updates: 8, window: 2 });
	});
});
