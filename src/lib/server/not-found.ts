import { error } from '@sveltejs/kit';
import { NotFoundError } from './errors';

/** A lookup a page depends on: the domain's NotFoundError becomes the 404 page, in the domain's words. */
export function orNotFound<T>(found: Promise<T>): Promise<T> {
	return found.catch((thrown: unknown) => {
		if (thrown instanceof NotFoundError) error(404, thrown.message);
		throw thrown;
	});
}
