import { z } from 'zod';
import { agreementFigureSchema, type AgreementFigure } from '../quality/figures';
import { metricsFileSchema, type PpoMetrics, type RewardModelMetrics } from './metrics-file';

/**
 * What the platform recorded about a finished run's metrics file
 * (`training_run.metrics`): the file as read, or why there is none to show.
 * A missing or broken file never stops a chain (the model exists); it is
 * shown to the operator with what to look at. Parsed here on every read and
 * used typed everywhere else.
 */

const at = z.iso.datetime({ offset: true });

export const metricsProblems = ['missing', 'invalid', 'elsewhere', 'unreadable'] as const;
export type MetricsProblem = (typeof metricsProblems)[number];

export const runMetricsSchema = z.discriminatedUnion('status', [
	z.object({
		status: z.literal('read'),
		/** Where the file was read: `s3://bucket/models/…/codelynn-metrics.json` or `file:///…`. */
		location: z.string(),
		readAt: at,
		file: metricsFileSchema,
		/**
		 * The raw agreement among the annotators of the dataset version the run trained on, from its
		 * manifest's quality section (null when the version was published before it was measured, or
		 * no pair had two votes): the bar a reward model's preference accuracy is held to.
		 */
		agreement: agreementFigureSchema.nullable()
	}),
	z.object({
		/**
		 * missing: no file where the run wrote its model; invalid: not JSON or not this schema;
		 * elsewhere: the run wrote outside the platform's object store, which it cannot read;
		 * unreadable: the store failed (a reward model's is looked at again on the chain's next step).
		 */
		status: z.enum(metricsProblems),
		location: z.string(),
		readAt: at,
		message: z.string()
	})
]);
export type RunMetrics = z.infer<typeof runMetricsSchema>;

/** The stored record, or null when nothing was recorded (a run before metrics, or not finished); a record that no longer parses reads as invalid. */
export function runMetricsOf(stored: Record<string, unknown> | null): RunMetrics | null {
	if (stored === null) return null;
	const parsed = runMetricsSchema.safeParse(stored);
	if (parsed.success) return parsed.data;
	const readAt = at.safeParse(stored.readAt);
	return {
		status: 'invalid',
		location: typeof stored.location === 'string' ? stored.location : '(not recorded)',
		readAt: readAt.success ? readAt.data : new Date(0).toISOString(),
		message: 'What was recorded about this run’s metrics no longer matches what this version of the platform reads.'
	};
}

/**
 * A reward model does no better than the annotators agree with each other when its preference
 * accuracy is not above their raw agreement on the same version. InstructGPT (Ouyang et al. 2022)
 * found its reward models about as accurate as its labelers agreed (72.6 %): agreement is the
 * ceiling of what the labels can teach, and a model at or below it has learnt no more than a
 * second annotator would know.
 */
export type RewardModelCheck = { accuracy: number | null; agreement: number | null; flagged: boolean };

export function rewardModelCheck(file: RewardModelMetrics, agreement: number | null): RewardModelCheck {
	const accuracy = file.preference_accuracy;
	return { accuracy, agreement, flagged: accuracy !== null && agreement !== null && accuracy <= agreement };
}

/** What the lineage page and the loop show of a run's metrics. */
export type MetricsView =
	| { status: 'read'; location: string; readAt: string; kind: 'reward_model'; file: RewardModelMetrics; check: RewardModelCheck; agreement: AgreementFigure | null }
	| { status: 'read'; location: string; readAt: string; kind: 'ppo'; file: PpoMetrics }
	| { status: MetricsProblem; location: string; readAt: string; message: string }
	| { status: 'none' };

export function metricsView(stored: Record<string, unknown> | null): MetricsView {
	const record = runMetricsOf(stored);
	if (record === null) return { status: 'none' };
	if (record.status !== 'read') return record;
	const { location, readAt, file } = record;
	if (file.kind === 'ppo') return { status: 'read', location, readAt, kind: 'ppo', file };
	return { status: 'read', location, readAt, kind: 'reward_model', file, check: rewardModelCheck(file, record.agreement?.value ?? null), agreement: record.agreement };
}
