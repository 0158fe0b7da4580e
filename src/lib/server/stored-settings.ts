import type { z } from 'zod';

/**
 * Settings stored as JSON on a row (a persona's quality or evaluation
 * settings), read over their defaults: a key the schema does not know is
 * dropped, and a stored value that no longer parses falls back to its default,
 * so a setting renamed or tightened in a later release never breaks a page.
 */
export function settingsOver<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>, stored: unknown): z.infer<z.ZodObject<Shape>> {
	const defaults = schema.parse({}) as Record<string, unknown>;
	if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return defaults as z.infer<z.ZodObject<Shape>>;
	const merged: Record<string, unknown> = { ...defaults };
	for (const [key, value] of Object.entries(stored)) {
		const field = schema.shape[key] as z.ZodType | undefined;
		if (key in defaults && field?.safeParse(value).success) merged[key] = value;
	}
	return schema.parse(merged);
}
