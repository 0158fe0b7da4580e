import type { KfpClient, Run } from '../../src/lib/server/kubeflow/client';
import { pipelineTexts } from '../../src/lib/server/kubeflow/pipelines';
import { runDedupeKey } from '../../src/lib/server/training/chain-key';

/**
 * The reward-model run of a version's first chain, created in Kubeflow as a
 * chain's create would have been when its answer was lost (a worker died, or
 * Kubeflow went down just after taking it): the platform has no record of it
 * but its description carries the dedupe key.
 */
export async function createRunWhoseAnswerWasLost(kfp: KfpClient, persona: string, versionId: string): Promise<Run> {
	const experiment = await kfp.ensureExperiment(`codelynn-${persona}`);
	const pipeline = await kfp.ensurePipeline('codelynn-reward-model', pipelineTexts.reward_model);
	return kfp.createRun({
		display_name: 'rm whose create answer was lost',
		description: runDedupeKey(versionId, 1, 'reward_model'),
		experiment_id: experiment.experiment_id,
		pipeline_version_reference: { pipeline_id: pipeline.pipelineId, pipeline_version_id: pipeline.pipelineVersionId },
		runtime_config: { parameters: { dataset_uri: 's3://x/', manifest_sha256: 'x', base_model: 'x', use_margin: true, output_uri: 's3://x/rm' } }
	});
}
