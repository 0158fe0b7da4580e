import type { DatasetSpec } from '$lib/server/datasets/spec';

/** "preferences, SFT, prompts": what a definition puts into each version, as the admin pages write it. */
export function contentsText(contents: DatasetSpec['contents']): string {
	const kinds = [contents.preferences && 'preferences', contents.sft && 'SFT', contents.prompts && 'prompts'].filter(Boolean);
	return kinds.join(', ');
}
