import { redirect } from '@sveltejs/kit';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { text } from '$lib/server/text';
import * as runtime from '$lib/server/runtime';
import * as sampling from '$lib/server/sampling/jobs';
import { rowsOf } from '$lib/server/db';
import { personaFromUrl } from '$lib/server/personas/from-url';
import { listModels } from '$lib/server/models/registry';
import { requireRole } from '$lib/server/auth/guard';
import { FieldError } from '$lib/server/errors';
import { formValues, rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const fields = ['domain', 'search', 'withoutOpenPairs', 'limit', 'strategy', 't1', 't2', 'temperature', 'n', 'priority', 'concurrency', 'timeoutSeconds', 'maxTokens'] as const;

const number = (message: string) => z.coerce.number({ error: message }).refine(Number.isFinite, message);

/** The form's flat fields, shaped into the job's spec (which samplingSpecSchema then checks). */
const formSchema = z
	.object({
		domain: text().trim().optional(),
		search: text().trim().max(200, 'At most 200 characters.').optional(),
		withoutOpenPairs: text().optional(),
		limit: number('How many prompts?').pipe(z.number().int().min(1, 'At least 1 prompt.').max(100_000, 'At most 100,000.')),
		strategy: z.enum(['temperatures', 'versions', 'seeds'], { error: 'Choose a strategy.' }),
		t1: number('A temperature, e.g. 0.7.').optional(),
		t2: number('A temperature, e.g. 1.2.').optional(),
		temperature: number('A temperature, e.g. 0.8.').optional(),
		n: number('How many samples?').optional(),
		priority: number('A whole number, e.g. 0.').pipe(z.number().int('A whole number.')),
		concurrency: number('How many requests at once?').pipe(z.number().int().min(1, 'At least 1.').max(64, 'At most 64.')),
		timeoutSeconds: number('Seconds per request.').pipe(z.number().int().min(1, 'At least 1 s.').max(600, 'At most 600 s.')),
		maxTokens: number('Tokens per reply.').pipe(z.number().int().min(1, 'At least 1.').max(32_768, 'At most 32,768.'))
	})
	.transform((f) => ({
		selection: { domain: f.domain || undefined, search: f.search || undefined, withoutOpenPairs: f.withoutOpenPairs === 'on', limit: f.limit },
		strategy:
			f.strategy === 'temperatures'
				? { kind: 'temperatures' as const, temperatures: [f.t1, f.t2] }
				: f.strategy === 'versions'
					? { kind: 'versions' as const, temperature: f.temperature }
					: { kind: 'seeds' as const, n: f.n, temperature: f.temperature },
		priority: f.priority,
		concurrency: f.concurrency,
		timeoutSeconds: f.timeoutSeconds,
		maxTokens: f.maxTokens
	}));

/** Field names in the spec back to the form's. */
function formField(path: string): string {
	return (
		{ 'selection.limit': 'limit', 'selection.domain': 'domain', 'selection.search': 'search', 'strategy.temperatures': 't1', 'strategy.temperatures.0': 't1', 'strategy.temperatures.1': 't2', 'strategy.temperature': 'temperature', 'strategy.n': 'n' }[path] ?? path
	);
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const persona = await personaFromUrl(event.url);
	const domains = rowsOf<{ domain: string; prompts: number }>(
		await db.execute(sql`select domain, count(*)::int as prompts from prompt where persona_id = ${persona.id} group by domain order by domain`)
	);
	return {
		persona: { slug: persona.slug, name: persona.name, overlap: persona.defaultOverlap },
		models: await listModels(db, persona.id),
		domains,
		jobs: await sampling.listSamplingJobs(db, persona.id)
	};
};

export const actions: Actions = {
	create: async (event) => {
		const me = requireRole(event, 'admin');
		const values = formValues(await event.request.formData(), fields);
		// the form's own fields first, then the job's rules on the shaped spec
		const shaped = formSchema.safeParse(values);
		const parsed = shaped.success ? sampling.samplingSpecSchema.safeParse(shaped.data) : shaped;
		if (!parsed.success) {
			const errors: Record<string, string> = {};
			for (const issue of parsed.error.issues) errors[formField(issue.path.join('.'))] ??= issue.message;
			return rejectForm(400, errors, values);
		}
		const persona = await personaFromUrl(event.url);
		let jobId: string;
		try {
			({ jobId } = await sampling.createSamplingJob(runtime.db(), persona.id, parsed.data, { id: me.id, ip: event.getClientAddress() }));
		} catch (e) {
			if (e instanceof FieldError) return rejectForm(400, { [e.field === 'model' ? 'form' : formField(e.field)]: e.message }, values);
			throw e;
		}
		redirect(303, `/admin/jobs/${jobId}`);
	}
};
