import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { text as streamText } from 'node:stream/consumers';
import type { Db } from '../db';
import { datasetVersion } from '../db/schema';
import { ObjectNotFoundError, type ObjectStore } from '../storage';
import { getDataset } from './definitions';
import { planFiles, writeRowFile, writeTextFile, type ManifestFile, type WriteContext } from './files';
import { countRows } from './freeze';
import { datasetCard } from './formats/card';
import { MANIFEST, manifestText, parseManifest, type Manifest } from './manifest';
import { getVersion, type DatasetVersion } from './versions';
import { versionQuality } from './version-quality';
import { APP_VERSION } from '../app-version';
import { announcesItself, queueAnnouncement } from '../training/notify';

/**
 * Writes a frozen version's files and, last, its manifest; then marks it
 * published. Safe to run again after any failure: every file is rendered
 * from the frozen rows, so a retry writes the same bytes, and a manifest
 * already in the store (a crash between storing it and recording it) is
 * taken as it is instead of being written twice.
 */

export type PublishProgress = { file: string; filesDone: number; files: number; rowsWritten: number; rows: number };

export type PublishOptions = { signal?: AbortSignal; onProgress?: (progress: PublishProgress) => void };

export async function buildVersion(db: Db, store: ObjectStore, versionId: string, options: PublishOptions = {}): Promise<Manifest> {
	const version = await getVersion(db, versionId);
	if (version.status === 'published' && version.manifest) return version.manifest as Manifest;
	const stored = await storedManifest(store, version);
	const { manifest, sha256 } = stored ?? (await writeFiles(db, store, version, options));
	// One transaction: a version marked published always has its announcement queued (a local folder has no MinIO to send it).
	await db.transaction(async (tx) => {
		await tx
			.update(datasetVersion)
			.set({ status: 'published', manifest, manifestSha256: sha256, error: null, publishedAt: new Date() })
			.where(eq(datasetVersion.id, versionId));
		if (announcesItself(store)) await queueAnnouncement(tx, versionId);
	});
	return manifest;
}

/** Records why a version could not be published; its rows stay frozen for a retry. */
export async function failVersion(db: Db, versionId: string, error: unknown): Promise<void> {
	const message = error instanceof Error ? error.message : String(error);
	await db.update(datasetVersion).set({ status: 'failed', error: message }).where(eq(datasetVersion.id, versionId));
}

/** The manifest and the SHA-256 of its bytes as stored: what training checks before it trusts the files. */
type StoredManifest = { manifest: Manifest; sha256: string };

const sha256Of = (text: string): string => createHash('sha256').update(text).digest('hex');

async function storedManifest(store: ObjectStore, version: DatasetVersion): Promise<StoredManifest | undefined> {
	const key = version.objectPrefix + MANIFEST;
	try {
		const text = await streamText(await store.get(key));
		const manifest = parseManifest(text, store.locationOf(key));
		if (manifest.version_id !== version.id)
			throw new Error(`${store.locationOf(key)} belongs to another version (${manifest.version_id}): refusing to overwrite a published dataset.`);
		return { manifest, sha256: sha256Of(text) };
	} catch (error) {
		if (error instanceof ObjectNotFoundError) return undefined;
		throw error;
	}
}

async function writeFiles(db: Db, store: ObjectStore, version: DatasetVersion, options: PublishOptions): Promise<StoredManifest> {
	const definition = await getDataset(db, version.datasetId);
	const parent = version.parentVersionId ? await getVersion(db, version.parentVersionId) : undefined;
	const counts = await countRows(db, version.id);
	const quality = await versionQuality(db, version.id, version.spec.quality.resolved);
	const plans = planFiles(version.spec);
	const rowsOf = (plan: (typeof plans)[number]) => (plan.split ? counts[plan.kind][plan.split] : counts[plan.kind].train + counts[plan.kind].test);
	const progress: PublishProgress = { file: '', filesDone: 0, files: plans.length + 2, rowsWritten: 0, rows: plans.reduce((sum, plan) => sum + rowsOf(plan), 0) };
	const context: WriteContext = { db, store, versionId: version.id, prefix: version.objectPrefix, margins: version.spec.margin.enabled, signal: options.signal };
	const files: ManifestFile[] = [];
	for (const plan of plans) {
		options.signal?.throwIfAborted();
		progress.file = plan.path;
		options.onProgress?.({ ...progress });
		const file = await writeRowFile(context, plan, (rows) => {
			progress.rowsWritten += rows;
			options.onProgress?.({ ...progress });
		});
		// Frozen rows name other tables without foreign keys (freeze.ts): if one has gone since, say so.
		if (file.rows !== rowsOf(plan))
			throw new Error(
				`${plan.path}: ${rowsOf(plan)} rows were frozen but only ${file.rows} could be read: ${rowsOf(plan) - (file.rows ?? 0)} of them have since been deleted from the database. Publish a new version instead.`
			);
		files.push(file);
		progress.filesDone++;
	}
	const base = {
		persona: definition.personaSlug,
		dataset: { id: definition.id, slug: definition.slug, name: definition.name },
		version: version.version,
		version_id: version.id,
		parent: parent ? { version: parent.version, version_id: parent.id } : null,
		created_at: version.createdAt.toISOString(),
		app_version: APP_VERSION,
		definition: version.spec,
		counts,
		quality
	};
	progress.file = 'README.md';
	options.onProgress?.({ ...progress });
	const card = datasetCard({
		persona: { name: definition.personaName, slug: definition.personaSlug },
		dataset: { name: definition.name, slug: definition.slug },
		version: version.version,
		parentVersion: parent?.version ?? null,
		spec: version.spec,
		files,
		counts,
		quality,
		createdAt: base.created_at,
		appVersion: APP_VERSION
	});
	files.push(await writeTextFile(context, 'README.md', card));
	progress.filesDone++;
	const manifest: Manifest = { format: 'codelynn-dataset-version/1', ...base, files };
	progress.file = MANIFEST;
	options.onProgress?.({ ...progress });
	// Last: once this object exists the version is complete, wherever it is read from.
	const text = manifestText(manifest);
	await store.put(version.objectPrefix + MANIFEST, text, { contentType: 'application/json', signal: options.signal });
	progress.filesDone++;
	options.onProgress?.({ ...progress });
	return { manifest, sha256: sha256Of(text) };
}
