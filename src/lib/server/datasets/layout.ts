/**
 * Where a dataset version lives in the object store, in one place:
 * `datasets/<persona>/<dataset>/v<N>/`, its files under that prefix and
 * `manifest.json` written last. Slugs follow the database's own checks
 * (`persona_slug_format`, `dataset_slug_format`); a version number is a
 * positive integer without leading zeros. Building a prefix and reading one
 * back (the storage webhook, the version pages) use the same rules.
 */

export const MANIFEST = 'manifest.json';

const SLUG = '[a-z0-9][a-z0-9-]*';
/** Up to nine digits: fits an `integer` column, and no leading zero, so one version has one spelling. */
const VERSION = '[1-9][0-9]{0,8}';
const slugPattern = new RegExp(`^${SLUG}$`);
const versionPattern = new RegExp(`^${VERSION}$`);
const manifestKeyPattern = new RegExp(`^(datasets/(${SLUG})/(${SLUG})/v(${VERSION})/)${MANIFEST.replace('.', '\\.')}$`);

export type VersionLocation = { prefix: string; persona: string; dataset: string; version: number };

/** The prefix of a version's objects; refuses what could not be read back as the same version. */
export function versionPrefix(personaSlug: string, datasetSlug: string, version: number): string {
	if (!slugPattern.test(personaSlug) || !slugPattern.test(datasetSlug) || !versionPattern.test(String(version)))
		throw new Error(`No dataset version lives at datasets/${personaSlug}/${datasetSlug}/v${version}/: slugs are lower-case letters, digits and dashes, versions positive integers.`);
	return `datasets/${personaSlug}/${datasetSlug}/v${version}/`;
}

/** "3" → 3; anything that is not a version number as written in a path ("03", "3.0", "0") → null. */
export function parseVersionNumber(text: string): number | null {
	return versionPattern.test(text) ? Number(text) : null;
}

/** A version's manifest key, taken apart; null for any other key. */
export function parseManifestKey(key: string): VersionLocation | null {
	const match = manifestKeyPattern.exec(key);
	if (!match) return null;
	return { prefix: match[1]!, persona: match[2]!, dataset: match[3]!, version: Number(match[4]) };
}
