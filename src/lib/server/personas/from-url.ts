import { error } from '@sveltejs/kit';
import * as runtime from '../runtime';
import { NotFoundError } from '../errors';
import { findPersona, type PersonaSummary } from './find';

/** The persona a page's `?persona=slug` names (the first one without it); a 404 page when there is none. */
export async function personaFromUrl(url: URL): Promise<PersonaSummary> {
	try {
		return await findPersona(runtime.db(), url.searchParams.get('persona'));
	} catch (e) {
		if (e instanceof NotFoundError) error(404, e.message);
		throw e;
	}
}
