import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db';

/**
 * What changed between two versions of a dataset, row by row. A row is the
 * same row in both when it has the same identity (its pair, or judgment for
 * per-vote rows, gold example or prompt); it "changed" when its outcome did
 * (winner, margin, approved revision or split). Counted by kind, and for
 * added, removed and changed rows by prompt domain, by source and, for
 * preference rows, by the model versions of the two replies.
 */

export type ChangeCounts = { added: number; removed: number; changed: number };
export type VersionDiff = {
	kinds: Array<ChangeCounts & { kind: string; unchanged: number }>;
	byDomain: Array<ChangeCounts & { domain: string }>;
	bySource: Array<ChangeCounts & { source: string }>;
	byModel: Array<ChangeCounts & { model: string }>;
};

function rowsOfVersion(versionId: string): SQL {
	return sql`select kind, coalesce(source, kind) as source, coalesce(judgment_id, pair_id, gold_example_id, prompt_id) as key,
		prompt_id, chosen_candidate_id, rejected_candidate_id, gold_revision_id, margin, split
		from dataset_version_row where dataset_version_id = ${versionId}`;
}

/** Both versions' rows side by side, each marked added / removed / changed / same (from `from` to `to`). */
function joined(fromId: string, toId: string): SQL {
	return sql`
		with a as (${rowsOfVersion(fromId)}), b as (${rowsOfVersion(toId)})
		select coalesce(b.kind, a.kind) as kind, coalesce(b.source, a.source) as source, coalesce(b.prompt_id, a.prompt_id) as prompt_id,
			coalesce(b.chosen_candidate_id, a.chosen_candidate_id) as chosen_candidate_id,
			coalesce(b.rejected_candidate_id, a.rejected_candidate_id) as rejected_candidate_id,
			case when a.key is null then 'added' when b.key is null then 'removed'
				when (a.chosen_candidate_id, a.rejected_candidate_id, a.gold_revision_id, a.margin, a.split)
					is distinct from (b.chosen_candidate_id, b.rejected_candidate_id, b.gold_revision_id, b.margin, b.split) then 'changed'
				else 'same' end as change
		from a full join b on a.kind = b.kind and a.key = b.key`;
}

const tally = sql`count(*) filter (where change = 'added')::int as added, count(*) filter (where change = 'removed')::int as removed,
	count(*) filter (where change = 'changed')::int as changed`;

type Counted = ChangeCounts & { unchanged?: number; grp: string; label: string };

export async function diffVersions(db: DbOrTx, fromVersionId: string, toVersionId: string): Promise<VersionDiff> {
	const grouped = rowsOf<Counted>(
		await db.execute(sql`
			with j as (${joined(fromVersionId, toVersionId)})
			select case when grouping(j.kind) = 0 then 'kind' when grouping(p.domain) = 0 then 'domain' else 'source' end as grp,
				coalesce(j.kind, p.domain, j.source) as label, ${tally}, count(*) filter (where change = 'same')::int as unchanged
			from j left join prompt p on p.id = j.prompt_id
			group by grouping sets ((j.kind), (p.domain), (j.source))
			order by 1, 2`)
	);
	const byModel = rowsOf<Counted>(
		await db.execute(sql`
			with j as (${joined(fromVersionId, toVersionId)})
			select 'model' as grp, m.name as label, ${tally}
			from j
			left join candidate cc on cc.id = j.chosen_candidate_id
			left join candidate rc on rc.id = j.rejected_candidate_id
			-- a row counts once for each model version it involves, once even when both replies share it
			join lateral (select distinct v.id from (values (cc.model_version_id), (rc.model_version_id)) v(id) where v.id is not null) mv on true
			join model_version m on m.id = mv.id
			where j.kind = 'preference' and j.change <> 'same'
			group by m.name order by m.name`)
	);
	const counts = (row: Counted): ChangeCounts => ({ added: Number(row.added), removed: Number(row.removed), changed: Number(row.changed) });
	const changedOnly = (row: Counted) => Number(row.added) + Number(row.removed) + Number(row.changed) > 0;
	const of = (group: string) => grouped.filter((row) => row.grp === group);
	return {
		kinds: of('kind').map((row) => ({ kind: row.label, ...counts(row), unchanged: Number(row.unchanged) })),
		byDomain: of('domain').filter(changedOnly).map((row) => ({ domain: row.label ?? '(none)', ...counts(row) })),
		bySource: of('source').filter(changedOnly).map((row) => ({ source: row.label, ...counts(row) })),
		byModel: byModel.map((row) => ({ model: row.label, ...counts(row) }))
	};
}
