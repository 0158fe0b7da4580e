import * as runtime from '../runtime';
import { orNotFound } from '../not-found';
import { findPersona, type PersonaSummary } from './find';

/** The persona a page's `?persona=slug` names (the first one without it); a 404 page when there is none. */
export function personaFromUrl(url: URL): Promise<PersonaSummary> {
	return orNotFound(findPersona(runtime.db(), url.searchParams.get('persona')));
}
