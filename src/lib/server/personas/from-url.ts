import { error } from '@sveltejs/kit';
import * as runtime from '../runtime';
import { orNotFound } from '../not-found';
import { textProblem } from '../text';
import { findPersona, type PersonaSummary } from './find';

/**
 * The persona a page's `?persona=slug` names (the first one without it); a 404 page when there is none,
 * a 400 naming `persona` when the value is not text the database could even compare.
 */
export function personaFromUrl(url: URL): Promise<PersonaSummary> {
	const slug = url.searchParams.get('persona');
	const problem = slug && textProblem(slug);
	if (problem) error(400, `persona: ${problem}`);
	return orNotFound(findPersona(runtime.db(), slug));
}
