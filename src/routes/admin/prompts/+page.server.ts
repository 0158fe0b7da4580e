import { fail, type RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import * as runtime from '$lib/server/runtime';
import * as promptImport from '$lib/server/imports/prompts';
import * as candidateImport from '$lib/server/imports/candidates';
import * as prompts from '$lib/server/prompts/list';
import { formatOf } from '$lib/server/imports/lines';
import { listPersonas } from '$lib/server/personas/find';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { requireRole } from '$lib/server/auth/guard';
import { rejectForm } from '$lib/server/forms';
import { queryDefaults, redirectPastTheEnd } from '$lib/server/listing';
import type { Actions, PageServerLoad } from './$types';

// A browser sends an unnamed, empty part when no file was chosen.
const fileSchema = z
	.custom<File>((value) => value instanceof Blob && 'name' in value && (value.name !== '' || value.size > 0), 'Choose a file to upload.')
	.refine((file) => file.size > 0, 'The file is empty.');

const promptUploadSchema = z.object({
	file: fileSchema,
	format: z.enum(['auto', 'jsonl', 'csv'], 'Choose JSONL, CSV, or "by file name".').default('auto')
});

/** The upload's fields; `formValues` refuses files, so the file is taken as it is and zod checks it. */
async function uploadOf(event: RequestEvent): Promise<Record<string, unknown>> {
	const form = await event.request.formData();
	const format = form.get('format');
	return { file: form.get('file') ?? undefined, format: typeof format === 'string' && format ? format : undefined };
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const query = prompts.promptQuerySchema.parse(event.url.searchParams);
	const { rows, total } = await prompts.listPrompts(db, persona.id, query);
	redirectPastTheEnd(event.url, { rows: rows.length, total, pageSize: query.pageSize });
	return {
		defaults: queryDefaults(prompts.promptQuerySchema),
		persona: { slug: persona.slug, name: persona.name },
		personas: await listPersonas(db),
		domains: await prompts.listDomains(db, persona.id),
		query,
		rows,
		total
	};
};

// The file is read as a stream (`file.stream()`), line by line, inside the import's transaction.
// (The multipart body itself is parsed by `request.formData()`, held in memory: FORM_BODY_LIMIT caps it.)
export const actions: Actions = {
	prompts: async (event) => {
		const me = requireRole(event, 'admin');
		const fields = await uploadOf(event);
		const values = { action: 'prompts', format: typeof fields.format === 'string' ? fields.format : 'auto' };
		const parsed = promptUploadSchema.safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		const { file } = parsed.data;
		const format = formatOf(file.name, parsed.data.format);
		if (!format) return rejectForm(400, { format: `"${file.name}" does not end in .jsonl or .csv: choose its format.` }, values);
		const persona = await personaFromUrl(event.url);
		const result = await promptImport.importPrompts(
			runtime.db(),
			{ persona, format, source: file.stream(), fileName: file.name },
			{ id: me.id, ip: event.getClientAddress() }
		);
		if (result.lines === 0) return rejectForm(400, { file: `"${file.name}" has no prompts in it.` }, values);
		if (result.errors.length) return fail(400, { errors: { file: refusal(result) }, values, promptImport: result });
		return { promptImport: result };
	},

	candidates: async (event) => {
		const me = requireRole(event, 'admin');
		const fields = await uploadOf(event);
		const values = { action: 'candidates' };
		const parsed = z.object({ file: fileSchema }).safeParse(fields);
		if (!parsed.success) return rejectForm(400, parsed.error, values);
		const { file } = parsed.data;
		if (formatOf(file.name) === 'csv') return rejectForm(400, { file: 'Candidates are imported from JSONL only.' }, values);
		const persona = await personaFromUrl(event.url);
		const result = await candidateImport.importCandidates(
			runtime.db(),
			{ persona, source: file.stream(), fileName: file.name },
			{ id: me.id, ip: event.getClientAddress() }
		);
		if (result.lines === 0) return rejectForm(400, { file: `"${file.name}" has no candidates in it.` }, values);
		if (result.errors.length) return fail(400, { errors: { file: refusal(result) }, values, candidateImport: result });
		return { candidateImport: result };
	}
};

function refusal(result: { errors: unknown[]; moreErrors: number }): string {
	const bad = result.errors.length + result.moreErrors;
	return `Nothing was imported: ${bad} bad line${bad === 1 ? '' : 's'}. Fix them and upload the file again.`;
}
