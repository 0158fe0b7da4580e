import rewardModelYaml from './pipelines/reward-model.yaml?raw';
import ppoYaml from './pipelines/ppo.yaml?raw';

/**
 * The project's two compiled pipelines (KFP v2 IR, schemaVersion 2.1.0), shipped
 * inside the build: the platform uploads them to Kubeflow on first use, named
 * as in their `pipelineInfo.name`, versioned by content hash. docs/kubeflow.md
 * lists their parameters.
 */
export const pipelineTexts: Readonly<Record<'reward_model' | 'ppo', string>> = { reward_model: rewardModelYaml, ppo: ppoYaml };
