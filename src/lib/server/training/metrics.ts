import { buffer as streamBuffer } from 'node:stream/consumers';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { datasetVersion, trainingRun } from '../db/schema';
import { agreementFigureSchema, type AgreementFigure } from '../quality/figures';
import { assertSafeKey, ObjectNotFoundError, type ObjectStore } from '../storage';
import { cleanJson, storableJson } from '../text';
import { METRICS_FILE, metricsFileSchema, type MetricsFile } from './metrics-file';
import { runMetricsOf, type RunMetrics } from './run-metrics';
import type { TrainingRun } from './runs';

/**
 * The chain reads what a succeeded run wrote about itself: `codelynn-metrics.json`
 * beside the model, under the run's `output_uri` (the pipelines write it before
 * `codelynn-model.json`; docs/kubeflow.md). KFP's v2beta1 run details carry no
 * metric values (tests/contracts/kfp_v2beta1_run.swagger.json: a task's outputs
 * name artifacts by id only; their values live in ML Metadata), so the file is
 * the only place they come back. Whatever is found is recorded in `training_run.metrics`
 * (run-metrics.ts), once per run; nothing here stops the chain, since the model
 * exists whether or not its figures can be read.
 */

/** A metrics file is a few hundred bytes; anything near this is not one. */
const MAX_BYTES = 256 * 1024;

/** Reads the run's metrics file unless it was already read (or found missing, broken or out of reach); a store failure is tried again next time. */
export async function readRunMetrics(db: DbOrTx, store: ObjectStore, run: TrainingRun, now = new Date()): Promise<RunMetrics> {
	const known = runMetricsOf(run.metrics);
	if (known && known.status !== 'unreadable') return known;
	const found = await metricsOf(store, run, now.toISOString());
	const record: RunMetrics =
		found.status === 'read' && found.file.kind === 'reward_model' ? { ...found, agreement: await agreementOf(db, run.datasetVersionId) } : found;
	// A message can quote the file (V8's JSON errors do), NUL and all: kept for diagnosis as storable text.
	const stored = record.status === 'read' ? record : (storableJson(record) as RunMetrics);
	await db.update(trainingRun).set({ metrics: stored }).where(eq(trainingRun.id, run.id));
	return stored;
}

async function metricsOf(store: ObjectStore, run: TrainingRun, readAt: string): Promise<RunMetrics> {
	const outputUri = run.parameters.output_uri;
	const place = typeof outputUri === 'string' ? keyOf(store, outputUri) : null;
	if (place === null) {
		const where = typeof outputUri === 'string' ? outputUri : '(no output_uri parameter)';
		const message = `The run wrote its model to ${where}, outside the platform's object store (${store.root}), so the platform cannot read its ${METRICS_FILE}; look for it there.`;
		return { status: 'elsewhere', location: where, readAt, message };
	}
	const location = store.locationOf(place);
	try {
		const size = await store.stat(place);
		if (!size) return { status: 'missing', location, readAt, message: missingMessage(location) };
		if (size.bytes > MAX_BYTES) return { status: 'invalid', location, readAt, message: `${location} is ${size.bytes} bytes: too large to be a metrics file.` };
		const parsed = parseMetricsFile((await streamBuffer(await store.get(place))).toString('utf8'), run.kind);
		return 'file' in parsed ? { status: 'read', location, readAt, file: parsed.file, agreement: null } : { status: 'invalid', location, readAt, message: `${location} ${parsed.problem}` };
	} catch (error) {
		if (error instanceof ObjectNotFoundError) return { status: 'missing', location, readAt, message: missingMessage(location) };
		const reason = error instanceof Error ? error.message : String(error);
		// The reward model's file is looked at again while PPO runs; PPO's is the chain's last step.
		const again = run.kind === 'reward_model' ? 'The chain looks again at its next step.' : 'The chain has no later step to look again; the model is registered all the same.';
		return { status: 'unreadable', location, readAt, message: `Could not read ${location}: ${reason}. ${again}` };
	}
}

function missingMessage(location: string): string {
	return `No ${METRICS_FILE} at ${location}: the run succeeded without writing one (a pipeline from before metrics files, or one changed to skip it). The model is there; its figures are not known.`;
}

/** The store's key of `<output_uri>/codelynn-metrics.json`, or null when output_uri lies outside the store. */
export function keyOf(store: ObjectStore, outputUri: string): string | null {
	const root = store.locationOf('');
	const base = root.endsWith('/') ? root : `${root}/`;
	if (!outputUri.startsWith(base)) return null;
	const key = `${outputUri.slice(base.length).replace(/\/+$/, '')}/${METRICS_FILE}`;
	try {
		assertSafeKey(key);
		return key;
	} catch {
		return null;
	}
}

/** The file, or what is wrong with it in words an operator can act on. */
export function parseMetricsFile(text: string, kind: TrainingRun['kind']): { file: MetricsFile } | { problem: string } {
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		return { problem: `is not JSON: ${(error as Error).message}` };
	}
	const parsed = storableMetricsFile.safeParse(json);
	if (!parsed.success) return { problem: `is not a codelynn-metrics/1 file: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}` };
	if (parsed.data.kind !== kind) return { problem: `describes a ${parsed.data.kind} run, but it lies under a ${kind} run's output.` };
	return { file: parsed.data };
}

// Members the schema does not name are kept, and stored as jsonb: their text must be storable.
const storableMetricsFile = cleanJson(metricsFileSchema);

// Only the quality section of the stored manifest: the raw agreement the reward model is held to.
const manifestQualitySchema = z.looseObject({ quality: z.looseObject({ raw_agreement: agreementFigureSchema }).optional() });

async function agreementOf(db: DbOrTx, versionId: string): Promise<AgreementFigure | null> {
	const [version] = await db.select({ manifest: datasetVersion.manifest }).from(datasetVersion).where(eq(datasetVersion.id, versionId));
	const parsed = manifestQualitySchema.safeParse(version?.manifest);
	const agreement = parsed.success ? parsed.data.quality?.raw_agreement : undefined;
	return agreement?.value == null ? null : agreement;
}
