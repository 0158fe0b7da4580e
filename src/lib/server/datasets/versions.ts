import { and, desc, eq, sql } from 'drizzle-orm';
import * as audit from '../audit';
import type { Db, DbOrTx } from '../db';
import { datasetVersion, job } from '../db/schema';
import { FieldError, NotFoundError } from '../errors';
import * as jobs from '../jobs/queue';
import type { Actor } from './definitions';
import { getDataset } from './definitions';
import { freezeRows, type FrozenCounts } from './freeze';
import { versionPrefix } from './layout';
import { resolveQuality } from './quality-filters';
import { datasetSpecSchema, type DatasetSpec } from './spec';

/**
 * Versions of a dataset. Publishing is two steps: `createVersion` freezes the
 * rows and numbers the version in one transaction (so v3 is fixed the moment
 * it exists), then a `dataset.publish` job writes the files. A version is
 * `published` only once its manifest is stored; a failure leaves it `failed`,
 * and `retryVersion` writes the same frozen rows again.
 */

export const PUBLISH_JOB = 'dataset.publish';

export type DatasetVersion = Omit<typeof datasetVersion.$inferSelect, 'spec'> & { spec: DatasetSpec };

export async function createVersion(
	db: Db,
	datasetId: string,
	actor: Actor,
	options: { undoSeconds: number }
): Promise<{ id: string; version: number; jobId: string; counts: FrozenCounts }> {
	return db.transaction(async (tx) => {
		// One publisher at a time per dataset: version numbers have no gaps and no twins.
		await tx.execute(sql`select id from dataset where id = ${datasetId} for update`);
		const definition = await getDataset(tx, datasetId);
		const [previous] = await tx
			.select({ version: datasetVersion.version })
			.from(datasetVersion)
			.where(eq(datasetVersion.datasetId, datasetId))
			.orderBy(desc(datasetVersion.version))
			.limit(1);
		const [parent] = await tx
			.select({ id: datasetVersion.id })
			.from(datasetVersion)
			.where(and(eq(datasetVersion.datasetId, datasetId), eq(datasetVersion.status, 'published')))
			.orderBy(desc(datasetVersion.version))
			.limit(1);
		const number = (previous?.version ?? 0) + 1;
		// The quality filters become a list of people here, once: a rebuild of this version reads the list, never a newer snapshot.
		const spec: DatasetSpec = { ...definition.spec, quality: { ...definition.spec.quality, resolved: await resolveQuality(tx, definition.personaId, definition.spec.quality) } };
		const [created] = await tx
			.insert(datasetVersion)
			.values({
				datasetId,
				version: number,
				status: 'building',
				spec,
				parentVersionId: parent?.id ?? null,
				objectPrefix: versionPrefix(definition.personaSlug, definition.slug, number),
				createdBy: actor.id
			})
			.returning({ id: datasetVersion.id });
		const counts = await freezeRows(tx, { versionId: created!.id, personaId: definition.personaId, spec, undoSeconds: options.undoSeconds });
		const queued = await jobs.enqueue(tx, {
			kind: PUBLISH_JOB,
			payload: { versionId: created!.id },
			personaId: definition.personaId,
			createdBy: actor.id
		});
		await tx.update(datasetVersion).set({ jobId: queued.id }).where(eq(datasetVersion.id, created!.id));
		await audit.record(tx, {
			actorId: actor.id,
			action: 'dataset.publish',
			targetType: 'dataset_version',
			targetId: created!.id,
			details: { dataset: definition.slug, version: number, counts, qualityExcluded: spec.quality.resolved?.excluded.length ?? 0 },
			ip: actor.ip
		});
		return { id: created!.id, version: number, jobId: queued.id, counts };
	});
}

function parsed(row: typeof datasetVersion.$inferSelect): DatasetVersion {
	return { ...row, spec: datasetSpecSchema.parse(row.spec) };
}

export async function getVersion(db: DbOrTx, id: string): Promise<DatasetVersion> {
	const [found] = await db.select().from(datasetVersion).where(eq(datasetVersion.id, id));
	if (!found) throw new NotFoundError('That dataset version does not exist.');
	return parsed(found);
}

export async function findVersion(db: DbOrTx, datasetId: string, version: number): Promise<DatasetVersion> {
	const [found] = await db
		.select()
		.from(datasetVersion)
		.where(and(eq(datasetVersion.datasetId, datasetId), eq(datasetVersion.version, version)));
	if (!found) throw new NotFoundError(`This dataset has no version ${version}.`);
	return parsed(found);
}

export type VersionSummary = Pick<DatasetVersion, 'id' | 'version' | 'status' | 'error' | 'objectPrefix' | 'createdAt' | 'publishedAt' | 'jobId'> & {
	parentVersion: number | null;
	rows: number;
	progress: Record<string, unknown> | null;
};

/** Newest first, with row counts and, while building, the job's progress. */
export async function listVersions(db: DbOrTx, datasetId: string): Promise<VersionSummary[]> {
	const parent = sql<number | null>`(select p.version from dataset_version p where p.id = ${datasetVersion.parentVersionId})`;
	const rows = sql<number>`(select count(*)::int from dataset_version_row r where r.dataset_version_id = ${datasetVersion.id} and r.kind <> 'vote')`;
	const found = await db
		.select({
			id: datasetVersion.id,
			version: datasetVersion.version,
			status: datasetVersion.status,
			error: datasetVersion.error,
			objectPrefix: datasetVersion.objectPrefix,
			createdAt: datasetVersion.createdAt,
			publishedAt: datasetVersion.publishedAt,
			jobId: datasetVersion.jobId,
			parentVersion: parent,
			rows,
			progress: job.progress
		})
		.from(datasetVersion)
		.leftJoin(job, eq(job.id, datasetVersion.jobId))
		.where(eq(datasetVersion.datasetId, datasetId))
		.orderBy(desc(datasetVersion.version));
	return found.map((row) => ({ ...row, rows: Number(row.rows), parentVersion: row.parentVersion === null ? null : Number(row.parentVersion), progress: row.status === 'building' ? row.progress : null }));
}

/** Writes a failed version's files again from its frozen rows (the same job, back in the queue). */
export async function retryVersion(db: Db, id: string, actor: Actor): Promise<void> {
	await db.transaction(async (tx) => {
		const [found] = await tx.select().from(datasetVersion).where(eq(datasetVersion.id, id)).for('update');
		if (!found) throw new NotFoundError('That dataset version does not exist.');
		if (found.status !== 'failed') throw new FieldError('version', `Version ${found.version} is ${found.status}: only a failed version can be retried.`);
		await tx.update(datasetVersion).set({ status: 'building', error: null }).where(eq(datasetVersion.id, id));
		if (found.jobId) await jobs.resume(tx, found.jobId);
		else {
			const queued = await jobs.enqueue(tx, { kind: PUBLISH_JOB, payload: { versionId: id }, createdBy: actor.id });
			await tx.update(datasetVersion).set({ jobId: queued.id }).where(eq(datasetVersion.id, id));
		}
		await audit.record(tx, { actorId: actor.id, action: 'dataset.retry', targetType: 'dataset_version', targetId: id, details: { version: found.version }, ip: actor.ip });
	});
}
