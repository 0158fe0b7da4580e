import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { dataset, datasetVersion, trainingRun } from '../db/schema';

export type LatestVersion = {
	datasetId: string;
	datasetName: string;
	version: number;
	status: (typeof datasetVersion.$inferSelect)['status'];
	createdAt: Date;
	publishedAt: Date | null;
	/** The newest training run made from it, if any: its kind and KFP state. */
	training: { kind: (typeof trainingRun.$inferSelect)['kind']; state: string } | null;
};

/** The persona's newest dataset version (any dataset) and how far its training got: the admin home's "what next". */
export async function latestVersion(db: DbOrTx, personaId: string): Promise<LatestVersion | null> {
	const [found] = await db
		.select({
			id: datasetVersion.id,
			datasetId: dataset.id,
			datasetName: dataset.name,
			version: datasetVersion.version,
			status: datasetVersion.status,
			createdAt: datasetVersion.createdAt,
			publishedAt: datasetVersion.publishedAt
		})
		.from(datasetVersion)
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
		.where(eq(dataset.personaId, personaId))
		.orderBy(desc(datasetVersion.createdAt))
		.limit(1);
	if (!found) return null;
	const [run] = await db
		.select({ kind: trainingRun.kind, state: trainingRun.state })
		.from(trainingRun)
		.where(eq(trainingRun.datasetVersionId, found.id))
		.orderBy(desc(trainingRun.createdAt))
		.limit(1);
	const { id: _id, ...version } = found;
	return { ...version, training: run ?? null };
}
