import { sql } from 'drizzle-orm';
import * as audit from '../audit';
import { rowsOf, type Db, type Tx } from '../db';
import { FieldError } from '../errors';
import * as jobs from '../jobs/queue';
import { containsPattern } from '../listing';
import { slotsOf } from './slots';
import type { SamplingSpec } from './spec';

export { samplingSpecSchema, type SamplingSpec } from './spec';

export const SAMPLING_JOB = 'sampling';

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
	return db.transaction(async (tx) => {
		const created = await insertSamplingJob(tx, personaId, spec, actor.id);
		await audit.record(tx, {
			actorId: actor.id,
			action: 'sampling.create',
			targetType: 'job',
			targetId: created.jobId,
			details: { prompts: created.prompts, items: created.items, strategy: spec.strategy.kind },
			ip: actor.ip
		});
		return created;
	});
}

/** The job and its items inside the caller's transaction (an evaluation round makes its job with the round). */
export async function insertSamplingJob(tx: Tx, personaId: string, spec: SamplingSpec, createdBy: string | null): Promise<{ jobId: string; prompts: number; items: number }> {
	const slots = await slotsOf(tx, personaId, spec);
	const { selection } = spec;
	const created = await jobs.enqueue(tx, { kind: SAMPLING_JOB, payload: spec, personaId, createdBy });
	const inserted = await tx.execute(sql`
		with chosen as (
			select p.id from prompt p
			where p.persona_id = ${personaId}
				${selection.promptIds ? sql`and p.id in (select jsonb_array_elements_text(${JSON.stringify(selection.promptIds)}::jsonb)::uuid)` : sql``}
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
	return { jobId: created.id, prompts, items: rows.length };
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
