import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import RunMetrics from './RunMetrics.svelte';
import { metricsView } from '$lib/server/training/run-metrics';

/** The component as the lineage page renders it on the server, reduced to its text. */
function shown(stored: Record<string, unknown> | null, state = 'SUCCEEDED'): string {
	const { body } = render(RunMetrics, { props: { metrics: metricsView(stored), state } });
	return body.replace(/<!--[^>]*-->/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

const read = { status: 'read', location: 's3://b/models/lynn/p/v2/reward-model/codelynn-metrics.json', readAt: '2026-12-03T12:00:00.000Z' };
const rewardModel = (accuracy: number, split = 'test') => ({
	...read,
	file: { format: 'codelynn-metrics/1', kind: 'reward_model', split, rows: 40, preference_accuracy: accuracy, loss: 0.52, train_loss: 0.61, mean_margin: 1.3, created_at: '2026-12-03T12:00:00Z' },
	agreement: { value: 0.7, low: 0.6, high: 0.8, comparisons: 90 }
});

describe('a run’s metrics on the lineage page', () => {
	it('shows a reward model’s accuracy, loss, rows and split beside the annotators’ agreement', () => {
		const text = shown(rewardModel(0.81));
		expect(text).toContain('81.0 % of 40 pairs on the test split scored the chosen reply above the rejected one');
		expect(text).toContain('0.520 on the test split; 0.610 in training at the end');
		expect(text).toContain('70.0 % [60.0 %, 80.0 %] raw agreement on this dataset version');
		expect(text).not.toContain('Does no better');
	});

	it('flags a reward model that does no better than the annotators agree, with both figures', () => {
		const text = shown(rewardModel(0.65, 'train'));
		expect(text).toContain('Does no better than the annotators agree with each other: 65.0 % preference accuracy against 70.0 % raw agreement on the same version');
		expect(text).toContain('72.6 %');
		expect(text).toContain('scored on the rows it learnt from');
	});

	it('shows PPO’s mean reward from first to last and its KL', () => {
		const file = { format: 'codelynn-metrics/1', kind: 'ppo', episodes: 10_000, mean_reward: 1.9, first_mean_reward: 0.2, kl: 0.08, created_at: '2026-12-03T13:00:00Z' };
		const text = shown({ ...read, file, agreement: null });
		expect(text).toContain('0.200 at the start → 1.900 at the end');
		expect(text).toContain('KL from the starting policy 0.080');
		expect(text).toContain('10,000 replies generated');
	});

	it('words a missing file, a run still training and a run from before metrics for an operator', () => {
		const missing = shown({ status: 'missing', location: 's3://b/x/codelynn-metrics.json', readAt: read.readAt, message: 'No codelynn-metrics.json at s3://b/x/codelynn-metrics.json: the run succeeded without writing one.' });
		expect(missing).toContain('No metrics file. No codelynn-metrics.json at s3://b/x/codelynn-metrics.json');
		expect(shown(null, 'RUNNING')).toBe('Figures come back when the run succeeds.');
		expect(shown(null, 'SUCCEEDED')).toBe('No figures recorded: the run finished before the platform read metrics files.');
	});
});
