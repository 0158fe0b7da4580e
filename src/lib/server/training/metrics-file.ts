import { z } from 'zod';

/**
 * What a finished training run reports about itself: `codelynn-metrics.json`,
 * written by the pipelines (../kubeflow/pipelines/) beside the model's
 * `codelynn-model.json`, before it (the marker stays last). docs/kubeflow.md
 * documents each field. Parsed here and used typed everywhere else.
 */
export const METRICS_FILE = 'codelynn-metrics.json';
export const METRICS_FORMAT = 'codelynn-metrics/1';

const finite = z.number().finite();
const share = z.number().min(0).max(1);

/** The reward model on the version's test split: how often it scores the chosen reply above the rejected one. */
export const rewardModelMetricsSchema = z.looseObject({
	format: z.literal(METRICS_FORMAT),
	kind: z.literal('reward_model'),
	/** `test` when the version had a test split; `train` when it had none and the model was scored on what it learnt from. */
	split: z.enum(['test', 'train']),
	rows: z.number().int().min(0),
	preference_accuracy: share.nullable(),
	loss: finite.nullable(),
	/** The last training loss logged. */
	train_loss: finite.nullable().optional(),
	/** Mean of reward(chosen) − reward(rejected) on the split. */
	mean_margin: finite.nullable().optional(),
	created_at: z.iso.datetime({ offset: true })
});

/** PPO's summaries from the trainer's log: the reward the policy earned and how far it moved from where it started. */
export const ppoMetricsSchema = z.looseObject({
	format: z.literal(METRICS_FORMAT),
	kind: z.literal('ppo'),
	episodes: z.number().int().min(0),
	/** Mean score of the reward model over the last logged steps, and over the first ones (did it rise?). */
	mean_reward: finite.nullable(),
	first_mean_reward: finite.nullable().optional(),
	/** KL divergence of the policy from the reference policy at the end. */
	kl: finite.nullable(),
	created_at: z.iso.datetime({ offset: true })
});

export const metricsFileSchema = z.discriminatedUnion('kind', [rewardModelMetricsSchema, ppoMetricsSchema]);
export type MetricsFile = z.infer<typeof metricsFileSchema>;
export type RewardModelMetrics = z.infer<typeof rewardModelMetricsSchema>;
export type PpoMetrics = z.infer<typeof ppoMetricsSchema>;
