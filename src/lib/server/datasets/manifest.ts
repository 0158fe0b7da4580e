import { z } from 'zod';
import { text } from '../text';
import { datasetSpecSchema } from './spec';
import { versionQualitySchema } from './version-quality';

/**
 * `manifest.json`: the last object of a version, and the mark that it is
 * complete. It lists every other file with its size, rows and SHA-256, so a
 * copy anywhere can be checked (`npm run dataset:verify`), and it names the
 * definition, the parent version and the app that wrote it. Written from
 * frozen data only, so writing it again gives the same bytes.
 */

export { MANIFEST } from './layout';
export const MANIFEST_FORMAT = 'codelynn-dataset-version/1';

const count = z.number().int().min(0);
const splitCounts = z.object({ train: count, test: count });

export const manifestFileSchema = z.object({
	path: text().min(1),
	kind: z.enum(['preference', 'sft', 'prompt', 'vote', 'card']),
	split: z.enum(['train', 'test']).nullable(),
	format: z.enum(['jsonl', 'parquet', 'markdown']),
	rows: count.nullable(),
	bytes: count,
	sha256: text().regex(/^[0-9a-f]{64}$/)
});

export const manifestSchema = z.object({
	format: z.literal(MANIFEST_FORMAT),
	persona: text(),
	dataset: z.object({ id: z.uuid(), slug: text(), name: text() }),
	version: z.number().int().min(1),
	version_id: z.uuid(),
	parent: z.object({ version: z.number().int().min(1), version_id: z.uuid() }).nullable(),
	created_at: text(),
	app_version: text(),
	definition: datasetSpecSchema,
	counts: z.object({ preference: splitCounts, sft: splitCounts, prompt: splitCounts, vote: splitCounts }),
	/** α, agreement and check accuracy of the votes this version holds; absent in versions published before it was measured. */
	quality: versionQualitySchema.optional(),
	files: z.array(manifestFileSchema)
});

export type Manifest = z.infer<typeof manifestSchema>;

/** Stable key order and a final newline: the same manifest is the same bytes. */
export function manifestText(manifest: Manifest): string {
	return `${JSON.stringify(manifestSchema.parse(manifest), null, 2)}\n`;
}

/** A manifest read from storage, with a message that says what is wrong with it. */
export function parseManifest(text: string, location: string): Manifest {
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		throw new Error(`${location} is not JSON: ${(error as Error).message}`);
	}
	const parsed = manifestSchema.safeParse(json);
	if (!parsed.success)
		throw new Error(`${location} is not a codeLynn dataset manifest: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
	return parsed.data;
}
