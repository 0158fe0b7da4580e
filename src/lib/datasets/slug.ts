/**
 * The slug the "New dataset" form suggests while a name is typed: "Lynn prefs
 * (2026)" → `lynn-prefs-2026`. The server checks whatever is posted against its schema.
 */
export function suggestSlug(name: string): string {
	return name
		.toLowerCase()
		.normalize('NFKD')
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 63);
}
