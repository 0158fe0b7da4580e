import { z } from 'zod';
import { qualityFlags } from '../db/schema';
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

/** Why a quality filter left an annotator out. */
export const exclusionReasons = ['check_accuracy', 'agreement', 'flags'] as const;
export type ExclusionReason = (typeof exclusionReasons)[number];

/**
 * What the quality filters came to when a version was frozen: the snapshot
 * they were read from and every annotator they left out, with the figures
 * that decided it. Written by `createVersion`, never by the form; a rebuild
 * uses this list, never a newer snapshot.
 */
export const resolvedQualitySchema = z.object({
	/** null when no quality filter was on (nothing was read). */
	snapshotId: z.uuid().nullable(),
	computedAt: z.iso.datetime().nullable(),
	excluded: z.array(
		z.object({
			annotatorId: z.uuid(),
			reasons: z.array(z.enum(exclusionReasons)).min(1),
			votes: z.number().int().min(0),
			checkAnswers: z.number().int().min(0),
			checkAccuracy: z.number().nullable(),
			sharedPairs: z.number().int().min(0),
			agreement: z.number().nullable(),
			flags: z.array(z.enum(qualityFlags))
		})
	)
});
export type ResolvedQuality = z.infer<typeof resolvedQualitySchema>;

/**
 * Leaving annotators out by their quality figures (the newest quality
 * snapshot, src/lib/server/quality/). Only their judgments leave: their gold
 * examples went through review. A threshold of 0 is off.
 */
export const qualityFiltersSchema = z
	.object({
		/** Check accuracy (answered gold checks matching the expected answer) below this: left out. */
		minCheckAccuracy: z.number().min(0).max(1).default(0),
		/** Agreement with the others' majority on shared pairs (leave-one-out) below this: left out. */
		minAgreement: z.number().min(0).max(1).default(0),
		/** Flags: `ignore` them, leave out anyone with `any` flag, or with one of the `chosen` ones. */
		flagged: z.enum(['ignore', 'any', 'chosen']).default('ignore'),
		flags: z.array(z.enum(qualityFlags)).default([]),
		/**
		 * Minimum evidence: fewer answered checks than this and check accuracy does not
		 * count against the annotator; fewer shared pairs and agreement does not. A
		 * newcomer with two unlucky votes is not dropped by accident.
		 */
		minEvidence: z.number().int().min(1).max(100_000).default(20),
		resolved: resolvedQualitySchema.optional()
	})
	.prefault({});
export type QualityFilters = z.infer<typeof qualityFiltersSchema>;

/** Whether any quality filter would leave someone out (then the version reads a snapshot). */
export function qualityFiltersOn(quality: QualityFilters): boolean {
	return quality.minCheckAccuracy > 0 || quality.minAgreement > 0 || quality.flagged !== 'ignore';
}

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
			includeGoldEdits: z.boolean().default(true),
			/**
			 * Votes on evaluation rounds' pairs and prompts typed in arena mode. Off by
			 * default: they measure models against each other, and a model trained on
			 * them would be graded on its own exam (evaluation/).
			 */
			includeEvaluation: z.boolean().default(false)
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
		quality: qualityFiltersSchema,
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
		if (spec.quality.flagged === 'chosen' && spec.quality.flags.length === 0)
			context.addIssue({ code: 'custom', path: ['quality', 'flags'], message: 'choose at least one flag, or leave out anyone flagged' });
	});

export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

/** The definition a new dataset starts from: everything, majority vote, margins on, 10 % test. */
export function defaultSpec(): DatasetSpec {
	return datasetSpecSchema.parse({
		contents: { preferences: true, sft: true, prompts: true },
		filters: {},
		aggregation: {},
		margin: {},
		quality: {},
		split: {}
	});
}
