import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { dataset, datasetVersion, job } from '../db/schema';
import type { JobRow } from '../jobs/queue';
import { CHAIN_JOB } from './chain-key';
import { ANNOUNCE_JOB } from './notify';
import { outageOf, type Outage } from './outage';

/**
 * What on the Training page needs an admin's eye: chains that stopped or are
 * waiting for Kubeflow to come back, and manifests not yet announced to the
 * storage webhook (a local folder's versions) with why and when the next try is.
 */

/** Jobs whose payload names a dataset version, with that version's dataset. */
function jobsWithVersion(db: DbOrTx) {
	return db
		.select({ job, datasetName: dataset.name, datasetId: dataset.id, version: datasetVersion.version })
		.from(job)
		.innerJoin(datasetVersion, sql`${datasetVersion.id} = (${job.payload} ->> 'versionId')::uuid`)
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId));
}

export type ChainRow = {
	jobId: string;
	datasetName: string;
	datasetId: string;
	version: number;
	chain: number;
	status: JobRow['status'];
	lastError: string | null;
	outage: Outage | null;
	nextLookAt: Date;
};

/** Chains that need an eye: stopped (failed) ones, and those waiting for Kubeflow to come back. */
export async function listChainsNeedingAttention(db: DbOrTx, personaId: string, limit = 50): Promise<ChainRow[]> {
	const rows = await jobsWithVersion(db)
		.where(
			and(
				eq(job.kind, CHAIN_JOB),
				eq(job.personaId, personaId),
				or(eq(job.status, 'failed'), and(inArray(job.status, ['queued', 'running']), sql`${job.progress} ->> 'kfpUnreachableSince' is not null`))
			)
		)
		.orderBy(desc(job.updatedAt))
		.limit(limit);
	return rows.map(({ job: j, ...rest }) => ({
		...rest,
		jobId: j.id,
		chain: Number(j.payload.chain),
		status: j.status,
		lastError: j.lastError,
		outage: outageOf(j.progress),
		nextLookAt: j.runAfter
	}));
}

export type AnnouncementRow = {
	jobId: string;
	datasetName: string;
	datasetId: string;
	version: number;
	status: JobRow['status'];
	tries: number;
	lastError: string | null;
	nextTryAt: Date;
};

/** Announcements not yet delivered: waiting for their first try, or failing and trying again. */
export async function listPendingAnnouncements(db: DbOrTx, personaId: string, limit = 50): Promise<AnnouncementRow[]> {
	const rows = await jobsWithVersion(db)
		.where(and(eq(job.kind, ANNOUNCE_JOB), eq(job.personaId, personaId), inArray(job.status, ['queued', 'running', 'failed'])))
		.orderBy(desc(job.createdAt))
		.limit(limit);
	return rows.map(({ job: j, ...rest }) => ({
		...rest,
		jobId: j.id,
		status: j.status,
		tries: j.attempts,
		lastError: typeof j.progress.lastError === 'string' ? j.progress.lastError : j.lastError,
		nextTryAt: j.runAfter
	}));
}
