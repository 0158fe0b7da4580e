import { z } from 'zod';

/**
 * The crowd-level figures of a quality snapshot (`quality_snapshot.figures`),
 * written by the refresh job and read by the pages, the dashboard and dataset
 * cards. Parsed with this schema on read so a page never trusts the JSON shape.
 */
const share = z.number().min(0).max(1).nullable();

/** Krippendorff's α with a bootstrap 95 % interval; null where fewer than two values can be paired. */
export const alphaFigureSchema = z.object({
	value: z.number().nullable(),
	low: z.number().nullable(),
	high: z.number().nullable(),
	/** Units (pairs) with at least two values, and the values in them. */
	units: z.number().int().min(0),
	pairable: z.number().int().min(0)
});

/** Raw agreement: the share of pairs of votes on the same pair that give the same answer, with a 95 % interval. */
export const agreementFigureSchema = z.object({
	value: share,
	low: share,
	high: share,
	/** Pairs of votes compared. */
	comparisons: z.number().min(0)
});

export const scopeFiguresSchema = z.object({
	/** '' overall, the domain, or the Monday (UTC) a week starts on, as YYYY-MM-DD. */
	key: z.string(),
	judgments: z.number().int().min(0),
	alphaNominal: alphaFigureSchema,
	alphaOrdinal: alphaFigureSchema,
	rawAgreement: agreementFigureSchema
});

export const positionBiasSchema = z.object({
	abVotes: z.number().int().min(0),
	leftPicks: z.number().int().min(0),
	share,
	/** Two-sided exact binomial test of share = 0.5. */
	pValue: z.number().min(0).max(1).nullable(),
	flagged: z.boolean()
});

export const qualityFiguresSchema = z.object({
	overall: scopeFiguresSchema,
	byDomain: z.array(scopeFiguresSchema),
	byWeek: z.array(scopeFiguresSchema),
	positionBias: positionBiasSchema,
	crowd: z.object({ tieRate: share, offRate: share, medianMs: z.number().nullable() }),
	checks: z.object({ pairs: z.number().int().min(0), answers: z.number().int().min(0), correct: z.number().int().min(0) }),
	/** The queue when the snapshot was taken (checks left out): successive snapshots draw the burn-down. */
	queue: z.object({
		pairs: z.number().int().min(0),
		/** Every vote its overlap asks for is in. */
		done: z.number().int().min(0),
		/** Not done, and someone holds a lease on it. */
		leased: z.number().int().min(0),
		/** Not done and nobody holds it. */
		open: z.number().int().min(0)
	}),
	/** Judgments per UTC day, oldest first: the dashboard's chart. */
	perDay: z.array(z.object({ day: z.iso.date(), judgments: z.number().int().min(0) }))
});

export type AlphaFigure = z.infer<typeof alphaFigureSchema>;
export type AgreementFigure = z.infer<typeof agreementFigureSchema>;
export type ScopeFigures = z.infer<typeof scopeFiguresSchema>;
export type PositionBias = z.infer<typeof positionBiasSchema>;
export type QualityFigures = z.infer<typeof qualityFiguresSchema>;

/** InstructGPT's agreement among its trained labelers (Ouyang et al. 2022): the reference line on agreement charts. */
export const INSTRUCTGPT_AGREEMENT = 0.726;
