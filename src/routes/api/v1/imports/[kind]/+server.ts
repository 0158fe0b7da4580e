import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { text } from '$lib/server/text';
import * as runtime from '$lib/server/runtime';
import * as promptImport from '$lib/server/imports/prompts';
import * as candidateImport from '$lib/server/imports/candidates';
import { formatOf } from '$lib/server/imports/lines';
import { findPersona } from '$lib/server/personas/find';
import { answer, throwJson } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

const querySchema = z.object({
	persona: text().max(100).optional(),
	name: text().max(300).default('upload.jsonl'),
	format: z.enum(['auto', 'jsonl', 'csv']).default('auto')
});

/**
 * The import for files too big for a form: the request body IS the file and
 * flows straight into the importer, so memory does not grow with it.
 *   curl -H "cookie: session=…" -H "content-type: application/x-ndjson" --data-binary @prompts.jsonl \
 *     "https://studio/api/v1/imports/prompts?persona=lynn&name=prompts.jsonl"
 * 200 with the counts when imported; 400 with every bad line when refused (nothing written).
 * No body limit applies here (body-limits.ts): the file streams to the database, all or nothing.
 */
export const POST: RequestHandler = async (event) => {
	const me = requireRole(event, 'admin');
	return answer(async () => {
		const kind = event.params.kind;
		if (kind !== 'prompts' && kind !== 'candidates') throwJson(404, { message: 'Import prompts or candidates.' });
		const query = querySchema.safeParse(Object.fromEntries(event.url.searchParams));
		if (!query.success) throwJson(400, { message: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
		if (!event.request.body) throwJson(400, { message: 'Send the file as the request body.' });
		const persona = await findPersona(runtime.db(), query.data.persona);
		const actor = { id: me.id, ip: event.getClientAddress() };
		const format = kind === 'prompts' ? formatOf(query.data.name, query.data.format) : 'jsonl';
		if (!format) throwJson(400, { message: `"${query.data.name}" does not end in .jsonl or .csv: add format=jsonl or format=csv.` });
		const result =
			kind === 'prompts'
				? await promptImport.importPrompts(runtime.db(), { persona, format, source: event.request.body, fileName: query.data.name }, actor)
				: await candidateImport.importCandidates(runtime.db(), { persona, source: event.request.body, fileName: query.data.name }, actor);
		if (result.errors.length || result.lines === 0)
			return json({ message: result.lines === 0 ? 'The file has nothing to import.' : 'Nothing was imported: fix the bad lines and send the file again.', ...result }, { status: 400 });
		return result;
	});
};
