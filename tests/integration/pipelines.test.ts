import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/server/config';
import { pipelineTexts } from '../../src/lib/server/kubeflow/pipelines';
import { checkCompiledPipeline, checkRuntimeParameters, declaredParameters } from '../../src/lib/server/kubeflow/pipeline-spec';
import { ppoParameters, rewardModelParameters, type ChainSubject } from '../../src/lib/server/training/requests';

const training = loadConfig({}).training;
const subject: ChainSubject = {
	persona: 'lynn',
	dataset: 'lynn-prefs',
	version: 3,
	chain: 1,
	datasetUri: 's3://rlhf-datasets/datasets/lynn/lynn-prefs/v3/',
	manifestSha256: 'a'.repeat(64),
	useMargin: true
};
const sent = {
	reward_model: rewardModelParameters(training, subject),
	ppo: ppoParameters(training, subject, { rewardModelUri: 's3://codelynn/models/lynn/lynn-prefs/v3/reward-model', policyModel: 'Qwen/Qwen2.5-0.5B-Instruct' })
};

describe('the project’s compiled pipelines', () => {
	it.each(['reward_model', 'ppo'] as const)('%s passes the compiled-pipeline checks the fake KFP server applies to uploads', (kind) => {
		const { spec, problems } = checkCompiledPipeline(pipelineTexts[kind]);
		expect(problems).toEqual([]);
		expect(spec!.schemaVersion).toBe('2.1.0');
		expect(spec!.pipelineInfo.name).toBe(kind === 'reward_model' ? 'codelynn-reward-model' : 'codelynn-ppo');
	});

	it.each(['reward_model', 'ppo'] as const)('%s declares exactly the parameters the platform sends, with matching types', (kind) => {
		const { spec } = checkCompiledPipeline(pipelineTexts[kind]);
		expect(Object.keys(declaredParameters(spec!)).sort()).toEqual(Object.keys(sent[kind]).sort());
		expect(checkRuntimeParameters(spec!, sent[kind])).toEqual([]);
	});

	it('would refuse a parameter the pipeline does not declare', () => {
		const { spec } = checkCompiledPipeline(pipelineTexts.reward_model);
		expect(checkRuntimeParameters(spec!, { ...sent.reward_model, epochs: 3 }).join(' ')).toMatch(/epochs/);
	});
});
