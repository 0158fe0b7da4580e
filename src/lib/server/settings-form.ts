import { z } from 'zod';
import { formValues } from './forms';
import { text } from './text';

/**
 * A settings form read into a settings schema (a persona's quality or
 * evaluation settings): every field is text first (NUL and lone surrogates
 * refused, naming the field; every number field must be sent, '' when
 * cleared), then a number — a word becomes NaN, which the settings schema
 * refuses naming the field; a cleared field takes its default — and each
 * check box a boolean (a browser sends "on" when ticked and nothing when not).
 */
export type SettingsForm<T> = {
	/** Every setting's name, in the schema's order: the form's fields. */
	fields: Array<keyof T & string>;
	schema: z.ZodType<T, Record<string, string | undefined>>;
	/** The form's fields as sent, and as text for the form to show again when refused. */
	read(form: FormData): { input: Record<string, string | undefined>; typed: Record<string, string> };
};

// A number field as a browser sends it. Required as text: the form always sends every number field ('' when cleared), so a missing one
// (or a file in its place) is a broken form, refused naming the field.
export const numberText = text({ error: 'Fill in a number (or leave the field empty for the default).' }).transform((value) =>
	value.trim() ? Number(value.trim()) : undefined
);
const checkBox = text()
	.optional()
	.transform((value) => value === 'on' || value === 'true');

export function settingsForm<Shape extends z.ZodRawShape>(settings: z.ZodObject<Shape>, checkBoxes: ReadonlyArray<keyof Shape & string>): SettingsForm<z.infer<z.ZodObject<Shape>>> {
	const fields = Object.keys(settings.shape) as Array<keyof z.infer<z.ZodObject<Shape>> & string>;
	// The generic shape hides that every field of a settings schema takes a number or a boolean: said here once.
	const typed = settings as unknown as z.ZodType<z.infer<z.ZodObject<Shape>>, Record<string, number | boolean | undefined>>;
	const schema = z.object(Object.fromEntries(fields.map((field) => [field, checkBoxes.includes(field) ? checkBox : numberText]))).pipe(typed);
	return {
		fields,
		schema: schema as unknown as SettingsForm<z.infer<z.ZodObject<Shape>>>['schema'],
		read(form) {
			const input = formValues(form, fields);
			return { input, typed: Object.fromEntries(fields.map((field) => [field, input[field] ?? ''])) };
		}
	};
}
