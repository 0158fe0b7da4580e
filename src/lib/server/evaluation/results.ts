import { and, desc, eq, isNotNull, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { evaluationRound, modelVersion } from '../db/schema';
import { NotFoundError } from '../errors';
import { isUuid } from '../gold/editor';
import { DEFAULT_REPLICATES } from '../quality/stats';
import { readEvaluationSettings } from './settings';
import { modelRefs, tallyVotes, type PairGroupRow } from './results-sql';
import * as stats from './stats';
import type { HeadToHead, Leaderboard, ModelRef, RoundResults, RoundSummary, Verdict } from './types';

/*
 * Evaluation results: the votes tallied in SQL (results-sql.ts), turned into
 * win rates, ratings and verdicts by the pure statistics (stats/). The
 * definitions are in docs/architecture.md, "Evaluation: ratings and verdicts".
 */

type ModelPairTally = { first: string; second: string; tally: stats.WinTally };

/** Bradley–Terry ratings of every model version of the persona with evaluation votes, over all its rounds (arena included). */
export async function leaderboard(db: DbOrTx, personaId: string): Promise<Leaderboard> {
	if (!isUuid(personaId)) throw new NotFoundError('That persona does not exist.');
	const rows = await tallyVotes(db, sql`p.persona_id = ${personaId}`);
	const ids = [...new Set(rows.flatMap((row) => [row.first, row.second]))];
	const refs = await modelRefs(db, ids);
	const index = new Map(ids.map((id, i) => [id, i]));
	const rated = stats.rateModels(ids.length, rows.map((row) => ({ ...row, first: index.get(row.first)!, second: index.get(row.second)! })));
	const ratings = ids.map((id, i) => ({ ...refOf(refs, id), ...rated[i]! })).sort((x, y) => y.rating - x.rating);
	const ratingOf = new Map(ratings.map((r) => [r.id, r.rating]));
	const matrix = pooled(rows).map((t) => toHeadToHead(refs, t, ratingOf.get(t.first)! >= ratingOf.get(t.second)! ? t.first : t.second));
	return {
		ratings,
		matrix,
		votes: matrix.reduce((sum, cell) => sum + cell.votes, 0),
		replicates: DEFAULT_REPLICATES,
		groups: new Set(rated.map((r) => r.group)).size
	};
}

/** Evaluation votes between two models, from `aId`'s side, pooled over every round. */
export async function headToHead(db: DbOrTx, aId: string, bId: string): Promise<HeadToHead> {
	if (!isUuid(aId) || !isUuid(bId)) throw new NotFoundError('That model version does not exist.');
	const refs = await modelRefs(db, [aId, bId]);
	const scope = sql`(ca.model_version_id, cb.model_version_id) in ((${aId}::uuid, ${bId}::uuid), (${bId}::uuid, ${aId}::uuid))`;
	const [tally] = pooled(await tallyVotes(db, scope));
	return toHeadToHead(refs, tally ?? { first: aId, second: bId, tally: stats.tallyGroups([]) }, aId);
}

/** Per pair of the round's models and per prompt domain: each from the candidate's side when it is one of the two. */
export async function roundResults(db: DbOrTx, round: RoundSummary): Promise<RoundResults> {
	const tallies = await tallyVotes(db, sql`p.evaluation_round_id = ${round.id}`);
	const refs = await modelRefs(db, tallies.flatMap((t) => [t.first, t.second]));
	const present = (group: ModelPairTally[]) => group.map((t) => toHeadToHead(refs, t, sideOf(round, refs, t)));
	const domains = [...new Set(tallies.map((t) => t.domain))].sort();
	return {
		round,
		headToHead: present(pooled(tallies)),
		byDomain: domains.map((domain) => ({ domain, headToHead: present(pooled(tallies.filter((t) => t.domain === domain))) }))
	};
}

/**
 * The verdict on a candidate: against the persona's current model now
 * (pooled over every round), or, when the candidate is itself current or
 * there is no current model, against the baseline of its newest round that
 * has one. `minVotes` defaults to the persona's evaluation settings.
 */
export async function verdictFor(db: DbOrTx, candidateId: string, options: { minVotes?: number } = {}): Promise<Verdict> {
	if (!isUuid(candidateId)) throw new NotFoundError('That model version does not exist.');
	const [model] = await db
		.select({ id: modelVersion.id, name: modelVersion.name, status: modelVersion.status, createdAt: modelVersion.createdAt, personaId: modelVersion.personaId })
		.from(modelVersion)
		.where(eq(modelVersion.id, candidateId));
	if (!model) throw new NotFoundError('That model version does not exist.');
	const { personaId, ...candidate } = model;
	const minVotes = options.minVotes ?? (await readEvaluationSettings(db, personaId)).minVotes;
	const baselineId = await baselineOf(db, candidate, personaId);
	if (!baselineId) {
		const reason = `There is no model to measure ${candidate.name} against: the persona has no other current model and no round of ${candidate.name} has a baseline. Start a round with another model.`;
		return { outcome: 'not_yet_known', candidate, baseline: null, record: null, minVotes, reason };
	}
	const record = await headToHead(db, candidate.id, baselineId);
	return { ...stats.decideVerdict(record, minVotes), candidate, baseline: record.b, record, minVotes };
}

async function baselineOf(db: DbOrTx, candidate: ModelRef, personaId: string): Promise<string | null> {
	if (candidate.status !== 'current') {
		const [current] = await db
			.select({ id: modelVersion.id })
			.from(modelVersion)
			.where(and(eq(modelVersion.personaId, personaId), eq(modelVersion.status, 'current')));
		if (current) return current.id;
	}
	const [round] = await db
		.select({ baselineId: evaluationRound.baselineModelVersionId })
		.from(evaluationRound)
		.where(
			and(
				eq(evaluationRound.candidateModelVersionId, candidate.id),
				isNotNull(evaluationRound.baselineModelVersionId),
				ne(evaluationRound.baselineModelVersionId, candidate.id)
			)
		)
		.orderBy(desc(evaluationRound.number))
		.limit(1);
	return round?.baselineId ?? null;
}

/** The groups' pairs tallied per pair of models (whatever their domain). */
function pooled(rows: readonly PairGroupRow[]): ModelPairTally[] {
	const byModels = new Map<string, PairGroupRow[]>();
	for (const row of rows) {
		const key = `${row.first} ${row.second}`;
		const group = byModels.get(key);
		if (group) group.push(row);
		else byModels.set(key, [row]);
	}
	return [...byModels.values()].map((group) => ({ first: group[0]!.first, second: group[0]!.second, tally: stats.tallyGroups(group) }));
}

/** The round's candidate speaks first; else the other side of its baseline; else the newer model. */
function sideOf(round: RoundSummary, refs: Map<string, ModelRef>, { first, second }: ModelPairTally): string {
	if (round.candidate && (round.candidate.id === first || round.candidate.id === second)) return round.candidate.id;
	if (round.baseline?.id === first) return second;
	if (round.baseline?.id === second) return first;
	return refOf(refs, second).createdAt > refOf(refs, first).createdAt ? second : first;
}

function toHeadToHead(refs: Map<string, ModelRef>, { first, second, tally }: ModelPairTally, aId: string): HeadToHead {
	const [aSide, bId] = aId === first ? [tally, second] : [stats.reverseTally(tally), first];
	const rate = stats.winRate(aSide);
	const votes = aSide.wins + aSide.ties + aSide.losses;
	return { a: refOf(refs, aId), b: refOf(refs, bId), wins: aSide.wins, ties: aSide.ties, losses: aSide.losses, votes, winRate: rate.winRate, low: rate.low, high: rate.high };
}

function refOf(refs: Map<string, ModelRef>, id: string): ModelRef {
	const ref = refs.get(id);
	if (!ref) throw new NotFoundError('That model version does not exist.');
	return ref;
}
