import { Readable } from 'node:stream';
import { error } from '@sveltejs/kit';
import * as runtime from '$lib/server/runtime';
import * as pages from '$lib/server/datasets/pages';
import { ObjectNotFoundError } from '$lib/server/storage';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/** One file of a published version, streamed from the object store: only what its manifest lists, and the manifest. */
export const GET: RequestHandler = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const dataset = await pages.datasetOr404(db, event.params.id);
	const version = await pages.versionOr404(db, dataset.id, event.params.version);
	const file = pages.servedFile(version, dataset.slug, event.params.path);
	if (!file) error(404, `v${version.version} of ${dataset.slug} has no published file ${event.params.path}.`);
	const store = runtime.objectStore();
	const body = await store.get(file.key).catch((thrown: unknown) => {
		if (thrown instanceof ObjectNotFoundError) error(404, `${thrown.location} is missing from the store: run npm run dataset:verify on the version.`);
		throw thrown;
	});
	const bytes = file.bytes ?? (await store.stat(file.key))?.bytes;
	return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
		headers: {
			'content-type': file.contentType,
			...(bytes === undefined ? {} : { 'content-length': String(bytes) }),
			'content-disposition': `attachment; filename="${file.filename}"`
		}
	});
};
