import { z } from 'zod';
import { text } from '../text';

/**
 * What a dataset is made of: the definition an admin edits, frozen into each
 * version as it was. Parsed here and used typed everywhere else.
 */
export const splits = ['train', 'test'] as const;
export type Split = (typeof splits)[number];

export const strengths = [1, 2, 3, 4] as const;

const domain = text().regex(/^[a-z][a-z0-9_-]*$/, 'a domain is lower-case letters, digits, - or _');
const day = z.iso.date('use a date such as 2026-11-27');

export const datasetSpecSchema = z
	.object({
		contents: z.object({
			/** Preference pairs from judgments (and, if asked, from approved gold edits). */
			preferences: z.boolean(),
			/** Approved gold examples as SFT `messages`. */
			sft: z.boolean(),
			/** Every prompt of the persona, prompt-only, for PPO. */
			prompts: z.boolean()
		}),
		filters: z.object({
			/** Judgments (and gold approvals) made on or after this day (UTC). */
			from: day.optional(),
			/** … and on or before this day (UTC). */
			to: day.optional(),
			/** Only these prompt domains; empty means all. */
			domains: z.array(domain).default([]),
			/** Only pairs whose two candidates both come from these model versions; empty means all. */
			modelVersionIds: z.array(z.uuid()).default([]),
			/** Their judgments and gold examples are left out entirely. */
			excludeAnnotatorIds: z.array(z.uuid()).default([]),
			/** Where a pair has more than one vote, the share that must agree with the winner (0–1). */
			minAgreement: z.number().min(0).max(1).default(0),
			/** Approved gold edits as implicit preferences: the edit is chosen over the reply it was made from. */
			includeGoldEdits: z.boolean().default(true)
		}),
		aggregation: z.object({
			/** `majority`: one row per pair; `every_vote`: one row per a/b judgment. */
			mode: z.enum(['majority', 'every_vote']).default('majority'),
			/** Equal votes for a and b: drop the pair, or let the summed strength decide (drop if still equal). */
			ties: z.enum(['drop', 'strength']).default('drop')
		}),
		margin: z.object({
			/** Write TRL's optional `margin` column (RewardTrainer's margin loss). */
			enabled: z.boolean().default(true),
			/** Margin for each strength 1 (negligibly) … 4 (much better); majority rows average their winning votes. */
			byStrength: z.tuple([z.number(), z.number(), z.number(), z.number()]).default([0.25, 0.5, 1, 2]),
			/** Margin of a gold-edit preference (a reviewer approved the edit over the original). */
			goldEdit: z.number().default(2)
		}),
		split: z.object({
			/** Share of prompts (not rows) that go to the test split, in percent. */
			testPercent: z.number().int().min(0).max(50).default(10),
			/** Changing it reshuffles which prompts are held out. */
			seed: text().trim().min(1).max(100).default('codelynn')
		})
	})
	.superRefine((spec, context) => {
		if (!spec.contents.preferences && !spec.contents.sft && !spec.contents.prompts)
			context.addIssue({ code: 'custom', path: ['contents'], message: 'choose at least one of preferences, sft and prompts' });
		if (spec.filters.from && spec.filters.to && spec.filters.from > spec.filters.to)
			context.addIssue({ code: 'custom', path: ['filters', 'to'], message: '"to" is before "from"' });
	});

export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

/** The definition a new dataset starts from: everything, majority vote, margins on, 10 % test. */
export function defaultSpec(): DatasetSpec {
	return datasetSpecSchema.parse({
		contents: { preferences: true, sft: true, prompts: true },
		filters: {},
		aggregation: {},
		margin: {},
		split: {}
	});
}
