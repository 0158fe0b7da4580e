import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type DbOrTx } from '../db';
import { NotFoundError } from '../errors';
import type { ModelRef, RoundSummary } from './types';

/** Rounds as the pages show them: their models, where the prompts came from, the sampling job, pairs and votes so far. */

type RoundRow = {
	id: string;
	persona_id: string;
	number: number;
	source: RoundSummary['source'];
	candidate_model_version_id: string | null;
	baseline_model_version_id: string | null;
	prompt_source: RoundSummary['promptSource'];
	dataset_version_id: string | null;
	dataset_version: number | null;
	dataset_id: string | null;
	dataset_name: string | null;
	prompts_requested: number;
	prompts: number;
	priority: number;
	overlap: number;
	temperature: number | null;
	sampling_job_id: string | null;
	job_status: string | null;
	pairs: number;
	votes: number;
	created_at: string | Date;
	created_by: string | null;
	closed_at: string | Date | null;
};

type ModelRow = { round_id: string; id: string; name: string; status: ModelRef['status']; created_at: string | Date };

async function summaries(db: DbOrTx, where: SQL): Promise<RoundSummary[]> {
	const rows = rowsOf<RoundRow>(
		await db.execute(sql`
			select r.id, r.persona_id, r.number, r.source, r.candidate_model_version_id, r.baseline_model_version_id, r.prompt_source,
				r.dataset_version_id, dv.version as dataset_version, d.id as dataset_id, d.name as dataset_name,
				r.prompts_requested, r.priority, r.overlap, r.temperature, r.sampling_job_id, j.status as job_status,
				coalesce((j.progress ->> 'prompts')::int, t.prompts) as prompts, t.pairs, t.votes,
				r.created_at, u.display_name as created_by, r.closed_at
			from evaluation_round r
			left join dataset_version dv on dv.id = r.dataset_version_id
			left join dataset d on d.id = dv.dataset_id
			left join job j on j.id = r.sampling_job_id
			left join "user" u on u.id = r.created_by
			cross join lateral (
				select count(*)::int as pairs, count(distinct pa.prompt_id)::int as prompts,
					(select count(*)::int from judgment jg join pair px on px.id = jg.pair_id where px.evaluation_round_id = r.id) as votes
				from pair pa where pa.evaluation_round_id = r.id
			) t
			where ${where}
			order by r.created_at desc, r.number desc`)
	);
	if (rows.length === 0) return [];
	const models = rowsOf<ModelRow>(
		await db.execute(sql`
			select rm.round_id, m.id, m.name, m.status, m.created_at
			from evaluation_round_model rm join model_version m on m.id = rm.model_version_id
			where rm.round_id in (select jsonb_array_elements_text(${JSON.stringify(rows.map((r) => r.id))}::jsonb)::uuid)
			order by m.created_at, m.name`)
	);
	return rows.map((row) => summaryOf(row, models.filter((m) => m.round_id === row.id).map(refOf)));
}

function refOf(m: ModelRow): ModelRef {
	return { id: m.id, name: m.name, status: m.status, createdAt: new Date(m.created_at) };
}

function summaryOf(row: RoundRow, models: ModelRef[]): RoundSummary {
	const byId = (id: string | null) => models.find((m) => m.id === id) ?? null;
	return {
		id: row.id,
		personaId: row.persona_id,
		number: Number(row.number),
		source: row.source,
		candidate: byId(row.candidate_model_version_id),
		baseline: byId(row.baseline_model_version_id),
		models,
		promptSource: row.prompt_source,
		datasetVersion:
			row.dataset_version_id && row.dataset_id
				? { id: row.dataset_version_id, version: Number(row.dataset_version), datasetName: row.dataset_name ?? '', datasetId: row.dataset_id }
				: null,
		promptsRequested: Number(row.prompts_requested),
		prompts: Number(row.prompts),
		priority: Number(row.priority),
		overlap: Number(row.overlap),
		temperature: row.temperature === null ? null : Number(row.temperature),
		samplingJob: row.sampling_job_id && row.job_status ? { id: row.sampling_job_id, status: row.job_status } : null,
		pairs: Number(row.pairs),
		votes: Number(row.votes),
		createdAt: new Date(row.created_at),
		createdBy: row.created_by,
		closedAt: row.closed_at === null ? null : new Date(row.closed_at)
	};
}

/** Ids arrive from URLs: one that is no uuid names no round (and never reaches PostgreSQL's uuid cast). */
export function isRoundId(id: string): boolean {
	return z.uuid().safeParse(id).success;
}

export async function getRound(db: DbOrTx, id: string): Promise<RoundSummary> {
	const [found] = isRoundId(id) ? await summaries(db, sql`r.id = ${id}`) : [];
	if (!found) throw new NotFoundError('That evaluation round does not exist.');
	return found;
}

/** A persona's rounds, newest first. */
export async function listRounds(db: DbOrTx, personaId: string): Promise<RoundSummary[]> {
	return summaries(db, sql`r.persona_id = ${personaId}`);
}

/** The rounds a model version took part in, newest first. */
export async function roundsOf(db: DbOrTx, modelVersionId: string): Promise<RoundSummary[]> {
	return summaries(db, sql`exists (select 1 from evaluation_round_model x where x.round_id = r.id and x.model_version_id = ${modelVersionId})`);
}
