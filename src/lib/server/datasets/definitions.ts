import { and, desc, eq, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { text } from '../text';
import * as audit from '../audit';
import type { Db, DbOrTx } from '../db';
import { dataset, datasetVersion, persona } from '../db/schema';
import { FieldError, isUniqueViolation, NotFoundError } from '../errors';
import { datasetSpecSchema, type DatasetSpec } from './spec';

/** A dataset definition: what its next version will be made of. Versions keep the spec they were frozen with. */

export type Actor = { id: string | null; ip?: string | null };

export const datasetInputSchema = z.object({
	name: text().trim().min(1, 'Give the dataset a name.').max(100, 'Keep the name under 100 characters.'),
	slug: text()
		.trim()
		.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'Use lower-case letters, digits and dashes (it becomes part of the object path).'),
	description: text().trim().max(2000).default(''),
	spec: datasetSpecSchema
});
export type DatasetInput = z.infer<typeof datasetInputSchema>;

export type Dataset = Omit<typeof dataset.$inferSelect, 'spec'> & { spec: DatasetSpec; personaSlug: string; personaName: string };

const columns = {
	id: dataset.id,
	personaId: dataset.personaId,
	slug: dataset.slug,
	name: dataset.name,
	description: dataset.description,
	spec: dataset.spec,
	createdBy: dataset.createdBy,
	createdAt: dataset.createdAt,
	updatedAt: dataset.updatedAt,
	personaSlug: persona.slug,
	personaName: persona.name
};

function parsed(row: Omit<Dataset, 'spec'> & { spec: unknown }): Dataset {
	return { ...row, spec: datasetSpecSchema.parse(row.spec) };
}

export async function getDataset(db: DbOrTx, id: string): Promise<Dataset> {
	const [found] = await db.select(columns).from(dataset).innerJoin(persona, eq(persona.id, dataset.personaId)).where(eq(dataset.id, id));
	if (!found) throw new NotFoundError('That dataset does not exist.');
	return parsed(found);
}

/** By slug or by name (exact, case-insensitive), optionally within one persona: what the CLI is given. */
export async function findDataset(db: DbOrTx, nameOrSlug: string, personaSlug?: string): Promise<Dataset> {
	const matches = await db
		.select(columns)
		.from(dataset)
		.innerJoin(persona, eq(persona.id, dataset.personaId))
		.where(
			and(
				or(eq(dataset.slug, nameOrSlug), sql`lower(${dataset.name}) = lower(${nameOrSlug})`),
				personaSlug ? eq(persona.slug, personaSlug) : undefined
			)
		);
	if (matches.length === 0) throw new NotFoundError(`No dataset is called "${nameOrSlug}"${personaSlug ? ` for persona ${personaSlug}` : ''}.`);
	if (matches.length > 1)
		throw new FieldError('dataset', `"${nameOrSlug}" names datasets of several personas (${matches.map((m) => m.personaSlug).join(', ')}): say which with --persona.`);
	return parsed(matches[0]!);
}

export type DatasetSummary = Dataset & { versions: number; latestVersion: number | null; latestStatus: string | null; latestPublishedAt: Date | null };

/** The persona's datasets, newest first, each with its latest version. */
export async function listDatasets(db: DbOrTx, personaId: string): Promise<DatasetSummary[]> {
	const rows = await db.select(columns).from(dataset).innerJoin(persona, eq(persona.id, dataset.personaId)).where(eq(dataset.personaId, personaId)).orderBy(desc(dataset.createdAt));
	const latest = await db
		.selectDistinctOn([datasetVersion.datasetId], {
			datasetId: datasetVersion.datasetId,
			version: datasetVersion.version,
			status: datasetVersion.status,
			publishedAt: datasetVersion.publishedAt
		})
		.from(datasetVersion)
		.innerJoin(dataset, eq(dataset.id, datasetVersion.datasetId))
		.where(eq(dataset.personaId, personaId))
		.orderBy(datasetVersion.datasetId, desc(datasetVersion.version));
	const byDataset = new Map(latest.map((l) => [l.datasetId, l]));
	return rows.map((row) => {
		const l = byDataset.get(row.id);
		return { ...parsed(row), versions: l?.version ?? 0, latestVersion: l?.version ?? null, latestStatus: l?.status ?? null, latestPublishedAt: l?.publishedAt ?? null };
	});
}

const slugTaken = () => new FieldError('slug', 'This persona already has a dataset with this slug.');

export async function createDataset(db: Db, personaId: string, input: DatasetInput, actor: Actor): Promise<{ id: string }> {
	try {
		return await db.transaction(async (tx) => {
			const [created] = await tx
				.insert(dataset)
				.values({ personaId, name: input.name, slug: input.slug, description: input.description, spec: input.spec, createdBy: actor.id })
				.returning({ id: dataset.id });
			await audit.record(tx, { actorId: actor.id, action: 'dataset.create', targetType: 'dataset', targetId: created!.id, details: { slug: input.slug }, ip: actor.ip });
			return created!;
		});
	} catch (error) {
		if (isUniqueViolation(error, 'dataset_slug_unique')) throw slugTaken();
		throw error;
	}
}

/** Changes what the next version is made of; published versions keep their own frozen spec. The slug stays: it is in object paths. */
export async function updateDataset(db: Db, id: string, input: Omit<DatasetInput, 'slug'>, actor: Actor): Promise<void> {
	await db.transaction(async (tx) => {
		const [updated] = await tx
			.update(dataset)
			.set({ name: input.name, description: input.description, spec: input.spec, updatedAt: new Date() })
			.where(eq(dataset.id, id))
			.returning({ id: dataset.id });
		if (!updated) throw new NotFoundError('That dataset does not exist.');
		await audit.record(tx, { actorId: actor.id, action: 'dataset.update', targetType: 'dataset', targetId: id, ip: actor.ip });
	});
}
