import { error, type ActionFailure } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { TrainingConfig } from '../config';
import type { DbOrTx } from '../db';
import { modelKinds, modelVersion, persona } from '../db/schema';
import { FieldError, NotFoundError } from '../errors';
import { rejectForm, type FieldErrors } from '../forms';
import { orNotFound } from '../not-found';
import { KfpError } from '../kubeflow/client';
import type { DeliveryRow } from './admin';
import { lineageOf, type Lineage } from './lineage';
import { isFinished, type TrainingRun } from './runs';

/**
 * What the training pages need beyond the domain modules: runs as an admin
 * reads them (labels, durations, links into the Kubeflow UI, which buttons
 * apply), deliveries without their payloads, model ids turned into lineage
 * (a 404 page when they name nothing), and domain refusals as form answers.
 */

const uuid = z.uuid();

// ── runs ────────────────────────────────────────────────────────────────────

/** Our own states next to KFP's (runs.ts); KFP's others read well lower-cased. */
const stateLabels: Record<string, string> = {
	NOT_CONFIGURED: 'Kubeflow not configured',
	SUBMITTING: 'submitting',
	SUBMIT_FAILED: 'submit failed',
	CANCELING: 'cancelling',
	CANCELED: 'cancelled',
	RUNTIME_STATE_UNSPECIFIED: 'unknown'
};

export function stateLabel(state: string): string {
	return stateLabels[state] ?? state.toLowerCase();
}

/** How a state's badge looks: `warn` needs someone, `off` will not move again by itself, null is under way or fine. */
export type StateTone = 'warn' | 'off' | null;

function toneOf(state: string): StateTone {
	if (state === 'FAILED' || state === 'SUBMIT_FAILED') return 'warn';
	if (state === 'SUCCEEDED' || !isFinished(state)) return null;
	return 'off';
}

/** 95 000 → "1 min 35 s": long enough to tell a stuck run from a slow one, short enough for a table cell. */
export function humanDuration(ms: number): string {
	const seconds = Math.max(0, Math.round(ms / 1000));
	if (seconds < 60) return `${seconds} s`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
	const hours = Math.floor(minutes / 60);
	return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

/** "2026-11-27 16:21:05 UTC": a run's states can change seconds apart, so its history keeps the seconds. */
function secondUtc(at: string): string {
	return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The run's page in the Kubeflow Pipelines UI (KFP_UI_URL); null when there is no UI or no run there. */
export function kfpRunUrl(uiUrl: string | null | undefined, kfpRunId: string | null): string | null {
	return uiUrl && kfpRunId ? `${uiUrl.replace(/\/+$/, '')}/#/runs/details/${encodeURIComponent(kfpRunId)}` : null;
}

export type RunView = Pick<TrainingRun, 'id' | 'kind' | 'state' | 'kfpRunId' | 'error' | 'submittedAt' | 'finishedAt' | 'createdAt' | 'parameters' | 'request'> & {
	kindLabel: string;
	/** n of the chain key `<version id>#<n>`: 1 from the manifest's arrival, more from "Train again". */
	chain: number;
	stateLabel: string;
	tone: StateTone;
	inProgress: boolean;
	kfpUrl: string | null;
	/** Submitted to finished, or to now while it runs; null for a run Kubeflow never had. */
	duration: string | null;
	history: Array<{ state: string; stateLabel: string; tone: StateTone; at: string }>;
	canTerminate: boolean;
	canRetry: boolean;
};

const retryable = ['FAILED', 'CANCELED', 'SUBMIT_FAILED'];

/** `training.kfp` is null without KFP_ENDPOINT: nothing can be terminated then, and a run recorded as not configured can be submitted once it is set. */
export function runView(run: TrainingRun, training: Pick<TrainingConfig, 'kfp'>, now = new Date()): RunView {
	const configured = training.kfp !== null;
	const inProgress = !isFinished(run.state);
	const end = run.finishedAt ?? (inProgress ? now : null);
	return {
		id: run.id,
		kind: run.kind,
		kindLabel: run.kind === 'reward_model' ? 'reward model' : 'PPO',
		chain: Number(run.chainKey.split('#')[1]),
		state: run.state,
		stateLabel: stateLabel(run.state),
		tone: toneOf(run.state),
		inProgress,
		kfpRunId: run.kfpRunId,
		kfpUrl: kfpRunUrl(training.kfp?.uiUrl, run.kfpRunId),
		error: run.error,
		submittedAt: run.submittedAt,
		finishedAt: run.finishedAt,
		createdAt: run.createdAt,
		duration: run.submittedAt && end ? humanDuration(end.getTime() - run.submittedAt.getTime()) : null,
		history: run.stateHistory.map((seen) => ({ state: seen.state, stateLabel: stateLabel(seen.state), tone: toneOf(seen.state), at: secondUtc(seen.at) })),
		parameters: run.parameters,
		request: run.request,
		canTerminate: inProgress && run.state !== 'CANCELING' && run.kfpRunId !== null && configured,
		canRetry: retryable.includes(run.state) || (run.state === 'NOT_CONFIGURED' && configured)
	};
}

// ── deliveries ──────────────────────────────────────────────────────────────

export type DeliveryView = Omit<DeliveryRow, 'payload' | 'dedupeKey'>;

/** The table shows what happened to each delivery; payloads stay in the database. */
export function deliveryView({ payload: _payload, dedupeKey: _dedupeKey, ...row }: DeliveryRow): DeliveryView {
	return row;
}

// ── model lineage ───────────────────────────────────────────────────────────

export type ModelOwner = { kind: (typeof modelKinds)[number]; persona: { slug: string; name: string } };

/** The model version a route's `[id]` names, with its persona; anything else is a 404. */
export async function modelOr404(db: DbOrTx, id: string): Promise<ModelOwner> {
	const gone = 'That model version does not exist.';
	if (!uuid.safeParse(id).success) error(404, gone);
	const [found] = await db
		.select({ kind: modelVersion.kind, slug: persona.slug, name: persona.name })
		.from(modelVersion)
		.innerJoin(persona, eq(persona.id, modelVersion.personaId))
		.where(eq(modelVersion.id, id));
	if (!found) error(404, gone);
	return { kind: found.kind, persona: { slug: found.slug, name: found.name } };
}

export async function lineageOr404(db: DbOrTx, id: string): Promise<Lineage> {
	return orNotFound(lineageOf(db, id));
}

// ── refusals ────────────────────────────────────────────────────────────────

/**
 * What a training action could not do, as the form's answer: a broken rule or a
 * vanished run in the admin's words, and what went wrong with Kubeflow as the
 * client tells it (502: the fault is upstream). Anything else is a bug and is rethrown.
 */
export function refusal<V extends Record<string, unknown>>(thrown: unknown, values: V): ActionFailure<{ errors: FieldErrors; values: V }> {
	if (thrown instanceof FieldError) return rejectForm(400, { [thrown.field]: thrown.message }, values);
	if (thrown instanceof NotFoundError) return rejectForm(404, { form: thrown.message }, values);
	if (thrown instanceof KfpError) return rejectForm(502, { form: thrown.message }, values);
	throw thrown;
}
