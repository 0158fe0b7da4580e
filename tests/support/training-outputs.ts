/**
 * What the training pipelines leave behind, for specs: their metrics files as fixtures, a fake
 * KFP run's last task writing them to s3rver as the pipelines do, and votes whose raw agreement
 * is known (the bar a reward model's accuracy is held to).
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/lib/server/db';
import { createS3Store } from '../../src/lib/server/storage';
import type { RunOutputs } from './kfp-server';
import { addVotes, type VoteFixture } from './judgments';
import type { S3Server } from './s3';

export const rewardModelFile = (accuracy: number) => ({
	format: 'codelynn-metrics/1',
	kind: 'reward_model',
	split: 'test',
	rows: 40,
	preference_accuracy: accuracy,
	loss: 0.52,
	train_loss: 0.61,
	mean_margin: 1.3,
	created_at: '2026-12-03T12:00:00+00:00'
});

export const ppoFile = { format: 'codelynn-metrics/1', kind: 'ppo', episodes: 10_000, mean_reward: 1.9, first_mean_reward: 0.2, kl: 0.08, created_at: '2026-12-03T13:00:00+00:00' };

type Kind = 'reward_model' | 'ppo';
/** What the next run of each pipeline writes as codelynn-metrics.json: a file, raw text, or nothing. */
export type NextMetrics = Record<Kind, object | string | null>;

/**
 * A run's last task as the pipelines do it: the model, codelynn-metrics.json (what `next` says),
 * then codelynn-model.json listing both, written with an S3 client of its own under output_uri
 * (nothing when output_uri is another bucket, which this S3 does not have).
 */
export function pipelineWrites(s3: S3Server, kind: Kind, next: NextMetrics): RunOutputs {
	return async (parameters) => {
		const prefix = `s3://${s3.bucket}/`;
		const output = String(parameters.output_uri);
		if (!output.startsWith(prefix)) return;
		const bucket = createS3Store(s3.config);
		const folder = `${output.slice(prefix.length)}/`;
		const metrics = next[kind];
		const files = ['model.safetensors'];
		await bucket.put(`${folder}model.safetensors`, 'weights');
		if (metrics !== null) {
			await bucket.put(`${folder}codelynn-metrics.json`, typeof metrics === 'string' ? metrics : JSON.stringify(metrics));
			files.push('codelynn-metrics.json');
		}
		await bucket.put(`${folder}codelynn-model.json`, JSON.stringify({ format: 'codelynn-model/1', kind, files: files.map((p) => ({ path: p })) }));
	};
}

/** Three annotators on every pair: two always answer a, the third b on every other pair. Raw agreement (6·3 + 6·1) / 36 = 2/3 on 12 pairs. */
export async function votesWithTwoThirdsAgreement(db: Db, personaId: string, annotators: Array<{ id: string }>): Promise<void> {
	const pairs = rowsOf<{ id: string }>(await db.execute(sql`select id from pair where persona_id = ${personaId} order by created_at`));
	const votes: VoteFixture[] = pairs.flatMap((pair, i) =>
		annotators.map((annotator, n) => ({ pairId: pair.id, annotatorId: annotator.id, choice: n === 2 && i % 2 ? 'b' : 'a', strength: 2 }) as VoteFixture)
	);
	await addVotes(db, votes);
}
