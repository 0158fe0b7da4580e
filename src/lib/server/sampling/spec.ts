import { z } from 'zod';
import { text } from '../text';

const temperature = z.number({ error: 'Give a temperature.' }).min(0, 'At least 0.').max(2, 'At most 2.');

/** What an admin (or an evaluation round) asks for: which prompts, which strategy, how hard to push the server. */
export const samplingSpecSchema = z.object({
	selection: z.object({
		domain: text().regex(/^[a-z][a-z0-9_-]*$/, 'Not a domain name.').optional(),
		search: text().trim().max(200).optional(),
		withoutOpenPairs: z.boolean().default(false),
		/** Exactly these prompts (an evaluation round draws them itself); the other filters still apply. */
		promptIds: z.array(z.uuid()).max(100_000, 'At most 100,000 prompts per job.').optional(),
		limit: z.number().int().min(1, 'At least 1 prompt.').max(100_000, 'At most 100,000 prompts per job.')
	}),
	strategy: z.discriminatedUnion('kind', [
		z
			.object({ kind: z.literal('temperatures'), temperatures: z.tuple([temperature, temperature]) })
			.refine((s) => s.temperatures[0] !== s.temperatures[1], { path: ['temperatures'], message: 'Choose two different temperatures.' }),
		z.object({ kind: z.literal('versions'), temperature }),
		z.object({ kind: z.literal('seeds'), n: z.number().int().min(2, 'At least 2 samples.').max(8, 'At most 8 samples.'), temperature }),
		/** One reply per model version (an evaluation round's models), all at one temperature. */
		z.object({
			kind: z.literal('models'),
			modelVersionIds: z
				.array(z.uuid())
				.min(2, 'Choose at least 2 models.')
				.max(6, 'At most 6 models.')
				.refine((ids) => new Set(ids).size === ids.length, 'Choose each model once.'),
			temperature
		})
	]),
	/** Pairs from this job are handed out before pairs of lower priority. */
	priority: z.number().int().min(-100, 'At least -100.').max(100, 'At most 100.').default(0),
	/**
	 * The job samples an evaluation round: every two models' replies to a prompt
	 * become a pair of the round, with the round's overlap (evaluation/rounds.ts).
	 */
	evaluation: z.object({ roundId: z.uuid(), overlap: z.number().int().min(1).max(20) }).optional(),
	concurrency: z.number().int().min(1).max(64).default(4),
	timeoutSeconds: z.number().int().min(1).max(600).default(60),
	maxTokens: z.number().int().min(1).max(32_768).default(512),
	maxRetries: z.number().int().min(0).max(10).default(4)
});
export type SamplingSpec = z.infer<typeof samplingSpecSchema>;
