import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { text } from '../text';
import * as audit from '../audit';
import { rowsOf, type Db } from '../db';
import { modelVersion } from '../db/schema';
import { FieldError } from '../errors';
import * as jobs from '../jobs/queue';
import { previousVersion } from '../models/registry';
import { containsPattern } from '../listing';

export const SAMPLING_JOB = 'sampling';

const temperature = z.number({ error: 'Give a temperature.' }).min(0, 'At least 0.').max(2, 'At most 2.');

/** What an admin asks for: which prompts, which strategy, how hard to push the server. */
export const samplingSpecSchema = z.object({
	selection: z.object({
		domain: text().regex(/^[a-z][a-z0-9_-]*$/, 'Not a domain name.').optional(),
		search: text().trim().max(200).optional(),
		withoutOpenPairs: z.boolean().default(false),
		limit: z.number().int().min(1, 'At least 1 prompt.').max(100_000, 'At most 100,000 prompts per job.')
	}),
	strategy: z.discriminatedUnion('kind', [
		z
			.object({ kind: z.literal('temperatures'), temperatures: z.tuple([temperature, temperature]) })
			.refine((s) => s.temperatures[0] !== s.temperatures[1], { path: ['temperatures'], message: 'Choose two different temperatures.' }),
		z.object({ kind: z.literal('versions'), temperature }),
		z.object({ kind: z.literal('seeds'), n: z.number().int().min(2, 'At least 2 samples.').max(8, 'At most 8 samples.'), temperature })
	]),
	/** Pairs from this job are handed out before pairs of lower priority. */
	priority: z.number().int().min(-100, 'At least -100.').max(100, 'At most 100.').default(0),
	concurrency: z.number().int().min(1).max(64).default(4),
	timeoutSeconds: z.number().int().min(1).max(600).default(60),
	maxTokens: z.number().int().min(1).max(32_768).default(512),
	maxRetries: z.number().int().min(0).max(10).default(4)
});
export type SamplingSpec = z.infer<typeof samplingSpecSchema>;

type Slot = { slot: string; modelVersionId: string; params: Record<string, unknown> };

type ModelRef = { id: string; kind: string; defaultParams: Record<string, unknown> };

async function modelsFor(db: Db, personaId: string): Promise<{ current: ModelRef; previous: ModelRef | null }> {
	const [current] = await db
		.select({ id: modelVersion.id, kind: modelVersion.kind, defaultParams: modelVersion.defaultParams })
		.from(modelVersion)
		.where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.status, 'current')));
	if (!current) throw new FieldError('model', 'No model is current for this persona: make one current on the Models page first.');
	if (current.kind !== 'endpoint')
		throw new FieldError('model', 'The current model is the demo pool of pre-written replies: register a model server and make it current first.');
	return { current, previous: await previousVersion(db, personaId) };
}

/** The model's own defaults (top_p, …), then what this job sets; a seed comes from the slot, not the defaults. */
function paramsFor(model: ModelRef, spec: SamplingSpec, temperature: number): Record<string, unknown> {
	const { seed: _seed, ...defaults } = model.defaultParams;
	return { ...defaults, max_tokens: spec.maxTokens, temperature };
}

function slotsOf(spec: SamplingSpec, models: Awaited<ReturnType<typeof modelsFor>>): Slot[] {
	const strategy = spec.strategy;
	if (strategy.kind === 'temperatures')
		return strategy.temperatures.map((t) => ({ slot: `t=${t}`, modelVersionId: models.current.id, params: paramsFor(models.current, spec, t) }));
	if (strategy.kind === 'versions') {
		if (!models.previous) throw new FieldError('strategy', 'There is no previous model version to compare with: retire one first.');
		return [
			{ slot: 'current', modelVersionId: models.current.id, params: paramsFor(models.current, spec, strategy.temperature) },
			{ slot: 'previous', modelVersionId: models.previous.id, params: paramsFor(models.previous, spec, strategy.temperature) }
		];
	}
	// One random base per job: samples differ from each other and from other jobs, and are reproducible.
	const seed = Math.floor(Math.random() * 1_000_000);
	return Array.from({ length: strategy.n }, (_, i) => ({
		slot: `seed=${String(i).padStart(2, '0')}`,
		modelVersionId: models.current.id,
		params: { ...paramsFor(models.current, spec, strategy.temperature), seed: seed + i }
	}));
}

/**
 * Makes the job and one item per prompt and slot, in one transaction. The
 * prompts are chosen now, so the job's size is known and fixed.
 */
export async function createSamplingJob(
	db: Db,
	personaId: string,
	spec: SamplingSpec,
	actor: { id: string; ip?: string | null }
): Promise<{ jobId: string; prompts: number; items: number }> {
	const models = await modelsFor(db, personaId);
	const slots = slotsOf(spec, models);
	const { selection } = spec;
	return db.transaction(async (tx) => {
		const created = await jobs.enqueue(tx, { kind: SAMPLING_JOB, payload: spec, personaId, createdBy: actor.id });
		const inserted = await tx.execute(sql`
			with chosen as (
				select p.id from prompt p
				where p.persona_id = ${personaId}
					${selection.domain ? sql`and p.domain = ${selection.domain}` : sql``}
					${selection.search ? sql`and (p.messages -> -1 ->> 'content') ilike ${containsPattern(selection.search)}` : sql``}
					${selection.withoutOpenPairs ? sql`and not exists (select 1 from pair x where x.prompt_id = p.id and x.known_answer is null and x.judgment_count < x.overlap)` : sql``}
				order by p.created_at, p.id
				limit ${selection.limit}
			)
			insert into sampling_item (job_id, prompt_id, slot, model_version_id, params)
			select ${created.id}, chosen.id, s.slot, s.model_version_id::uuid, s.params
			from chosen cross join jsonb_to_recordset(${JSON.stringify(slots.map((s) => ({ slot: s.slot, model_version_id: s.modelVersionId, params: s.params })))}::jsonb)
				as s(slot text, model_version_id text, params jsonb)
			returning prompt_id`);
		const rows = rowsOf<{ prompt_id: string }>(inserted);
		if (rows.length === 0) throw new FieldError('selection', 'No prompts match this selection.');
		const prompts = new Set(rows.map((r) => r.prompt_id)).size;
		await tx.execute(sql`update job set progress = ${JSON.stringify({ total: rows.length, prompts, pairs: 0, nearIdentical: 0 })}::jsonb where id = ${created.id}`);
		await audit.record(tx, {
			actorId: actor.id,
			action: 'sampling.create',
			targetType: 'job',
			targetId: created.id,
			details: { prompts, items: rows.length, strategy: spec.strategy.kind },
			ip: actor.ip
		});
		return { jobId: created.id, prompts, items: rows.length };
	});
}

export type SamplingProgress = {
	total: number;
	done: number;
	failed: number;
	running: number;
	queued: number;
	truncated: number;
	pairs: number;
	nearIdentical: number;
	/** replies finished in the last minute */
	perMinute: number;
	etaSeconds: number | null;
	recentErrors: Array<{ slot: string; prompt: string; error: string }>;
};

export async function samplingProgress(db: Db, jobId: string): Promise<SamplingProgress> {
	const [counts] = rowsOf<Record<string, number>>(
		await db.execute(sql`
			select count(*)::int as total,
				count(*) filter (where si.status = 'done')::int as done,
				count(*) filter (where si.status = 'failed')::int as failed,
				count(*) filter (where si.status = 'running')::int as running,
				count(*) filter (where si.status = 'queued')::int as queued,
				count(*) filter (where c.finish_reason = 'length')::int as truncated,
				count(*) filter (where si.status = 'done' and si.updated_at > now() - interval '60 seconds')::int as last_minute
			from sampling_item si left join candidate c on c.id = si.candidate_id
			where si.job_id = ${jobId}`)
	);
	const [tallies] = rowsOf<{ pairs: number | null; near: number | null }>(
		await db.execute(sql`select (progress->>'pairs')::int as pairs, (progress->>'nearIdentical')::int as near from job where id = ${jobId}`)
	);
	const errors = rowsOf<{ slot: string; prompt: string; error: string }>(
		await db.execute(sql`
			select si.slot, left(p.messages -> -1 ->> 'content', 80) as prompt, si.last_error as error
			from sampling_item si join prompt p on p.id = si.prompt_id
			where si.job_id = ${jobId} and si.status = 'failed'
			order by si.updated_at desc limit 10`)
	);
	const c = counts ?? {};
	const remaining = Number(c.queued ?? 0) + Number(c.running ?? 0);
	const perMinute = Number(c.last_minute ?? 0);
	return {
		total: Number(c.total ?? 0),
		done: Number(c.done ?? 0),
		failed: Number(c.failed ?? 0),
		running: Number(c.running ?? 0),
		queued: Number(c.queued ?? 0),
		truncated: Number(c.truncated ?? 0),
		pairs: Number(tallies?.pairs ?? 0),
		nearIdentical: Number(tallies?.near ?? 0),
		perMinute,
		etaSeconds: remaining === 0 ? 0 : perMinute > 0 ? Math.round((remaining / perMinute) * 60) : null,
		recentErrors: errors
	};
}

/** Failed items get another chance when a job is resumed; done ones are never asked for again. */
export async function requeueFailed(db: Db, jobId: string): Promise<number> {
	const result = await db.execute(sql`
		update sampling_item set status = 'queued', last_error = null, updated_at = now()
		where job_id = ${jobId} and status = 'failed' returning id`);
	return rowsOf(result).length;
}

export async function listSamplingJobs(db: Db, personaId: string): Promise<Array<{ id: string; status: string; createdAt: Date; progress: Record<string, unknown>; strategy: string }>> {
	const rows = rowsOf<{ id: string; status: string; created_at: string; progress: Record<string, unknown>; strategy: string }>(
		await db.execute(sql`
			select id, status, created_at, progress, payload->'strategy'->>'kind' as strategy
			from job where kind = ${SAMPLING_JOB} and persona_id = ${personaId}
			order by created_at desc limit 50`)
	);
	return rows.map((r) => ({ id: r.id, status: r.status, createdAt: new Date(r.created_at), progress: r.progress, strategy: r.strategy }));
}
