import { z } from 'zod';
import { text } from '../text';
import type { GenerationParams } from '../sampling/openai';

// The create and edit forms of a model version, parsed once; the registry works on the typed result.

/** A form field left empty is "not set", not zero. */
const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** `aboveMin`: the minimum itself is refused (vLLM refuses top_p = 0). */
function optionalNumber(label: string, min: number, max: number, kind: 'integer' | 'real' | 'aboveMin' = 'real') {
	let number = z.coerce.number({ error: `Enter ${label} as a number.` });
	if (kind === 'integer') number = number.int(`Enter ${label} as a whole number.`);
	const range = kind === 'aboveMin' ? `Use more than ${min} and at most ${max} for ${label}.` : `Use ${min}–${max} for ${label}.`;
	number = kind === 'aboveMin' ? number.gt(min, range) : number.min(min, range);
	return z.preprocess(blankToUndefined, number.max(max, range).optional());
}

/** `scheme://user:pass@` — a key in the URL would be stored and shown; keys belong in the environment. */
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;
export const withoutUserInfo = (url: string): string => url.replace(USER_INFO, '$1');
export const API_KEY_ENV = /^[A-Z_][A-Z0-9_]*$/;

const baseUrlSchema = text({ error: 'Enter the base URL, e.g. http://vllm:8000/v1.' })
	.trim()
	.min(1, 'Enter the base URL, e.g. http://vllm:8000/v1.')
	.pipe(z.url({ protocol: /^https?$/, error: 'Enter an http:// or https:// URL, e.g. http://vllm:8000/v1.' }))
	.refine((url) => !USER_INFO.test(url), 'Leave user:password out of the URL: put the key in an environment variable and name it below.')
	.transform((url) => url.replace(/\/+$/, ''));

/** A model version as the create and edit forms send it (every field a string). */
export const modelInputSchema = z
	.object({
		name: text({ error: 'Enter a name.' }).trim().min(1, 'Enter a name.').max(100, 'Use at most 100 characters.'),
		baseUrl: baseUrlSchema,
		model: text({ error: 'Enter the model name the server knows.' }).trim().min(1, 'Enter the model name the server knows.').max(200, 'Use at most 200 characters.'),
		apiKeyEnv: z.preprocess(
			blankToUndefined,
			text()
				.trim()
				.regex(API_KEY_ENV, 'Name an environment variable: capital letters, digits and _, e.g. MODEL_API_KEY_VLLM (the name, not the key).')
				.optional()
		),
		temperature: optionalNumber('temperature', 0, 2),
		top_p: optionalNumber('top_p', 0, 1, 'aboveMin'),
		max_tokens: optionalNumber('max_tokens', 1, 32768, 'integer'),
		// llama.cpp reads the seed as a 32-bit unsigned number.
		seed: optionalNumber('seed', 0, 4_294_967_295, 'integer')
	})
	.transform(({ name, baseUrl, model, apiKeyEnv, ...params }) => ({
		name,
		baseUrl,
		model,
		apiKeyEnv: apiKeyEnv ?? null,
		defaultParams: Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as GenerationParams
	}));
export type ModelInput = z.output<typeof modelInputSchema>;
/** The form's field names, for formValues(). */
export const modelInputFields = ['name', 'baseUrl', 'model', 'apiKeyEnv', 'temperature', 'top_p', 'max_tokens', 'seed'] as const;
