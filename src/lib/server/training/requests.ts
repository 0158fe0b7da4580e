import type { TrainingConfig } from '../config';

/**
 * What the platform asks Kubeflow to run: the runtime parameters of the two
 * pipelines in ../kubeflow/pipelines/ (their root `inputDefinitions` are the
 * contract; docs/kubeflow.md explains each), and the display name and
 * description of each run. Hyperparameters start from the defaults below and
 * take TRAINING_RM_PARAMS / TRAINING_PPO_PARAMS on top.
 */

export const REWARD_MODEL_PIPELINE = 'codelynn-reward-model';
export const PPO_PIPELINE = 'codelynn-ppo';

const rewardModelDefaults = { learning_rate: 1e-5, num_epochs: 1, per_device_batch_size: 8, max_length: 1024 };
const ppoDefaults = { learning_rate: 3e-6, total_episodes: 10_000, per_device_batch_size: 4 };

/** What a chain knows about the version it trains on. */
export type ChainSubject = {
	persona: string;
	dataset: string;
	version: number;
	chain: number;
	/** Where the version's folder is, as the pipeline's containers read it (`s3://bucket/datasets/…/v3/`). */
	datasetUri: string;
	/** SHA-256 of the stored manifest.json bytes: the run checks it before training on anything. */
	manifestSha256: string;
	useMargin: boolean;
};

/** `s3://…/models/lynn/lynn-prefs/v3` (`-r2` for a re-run): each chain writes its own models. */
function outputBase(training: TrainingConfig, subject: ChainSubject): string {
	return `${training.outputUri}/${subject.persona}/${subject.dataset}/v${subject.version}${subject.chain > 1 ? `-r${subject.chain}` : ''}`;
}

export function servedModelName(subject: ChainSubject): string {
	return `${subject.persona}-${subject.dataset}-v${subject.version}${subject.chain > 1 ? `-r${subject.chain}` : ''}`;
}

export function rewardModelParameters(training: TrainingConfig, subject: ChainSubject): Record<string, unknown> {
	return {
		...rewardModelDefaults,
		...training.rewardModelParams,
		dataset_uri: subject.datasetUri,
		manifest_sha256: subject.manifestSha256,
		base_model: training.baseModel,
		use_margin: subject.useMargin,
		output_uri: `${outputBase(training, subject)}/reward-model`
	};
}

export function ppoParameters(
	training: TrainingConfig,
	subject: ChainSubject,
	input: { rewardModelUri: string; policyModel: string }
): Record<string, unknown> {
	return {
		...ppoDefaults,
		...training.ppoParams,
		dataset_uri: subject.datasetUri,
		manifest_sha256: subject.manifestSha256,
		reward_model_uri: input.rewardModelUri,
		policy_model: input.policyModel,
		output_uri: `${outputBase(training, subject)}/policy`,
		served_model_name: servedModelName(subject)
	};
}

/** The endpoint a trained policy will be served at, from SERVING_URL_TEMPLATE. */
export function servingUrl(training: TrainingConfig, subject: ChainSubject, namespace: string | null): string {
	const values: Record<string, string> = {
		name: servedModelName(subject),
		namespace: namespace ?? 'default',
		persona: subject.persona,
		dataset: subject.dataset,
		version: String(subject.version)
	};
	return training.servingUrlTemplate.replace(/\{(name|namespace|persona|dataset|version)\}/g, (_, key: string) => values[key]!);
}

export function runDisplayName(kind: 'reward_model' | 'ppo', subject: ChainSubject): string {
	return `${kind === 'reward_model' ? 'rm' : 'ppo'} ${subject.persona}/${subject.dataset} v${subject.version}${subject.chain > 1 ? ` r${subject.chain}` : ''} sha=${subject.manifestSha256.slice(0, 8)}`;
}

export function experimentName(persona: string): string {
	return `codelynn-${persona}`;
}
