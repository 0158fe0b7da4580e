import { error } from '@sveltejs/kit';
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db';
import { datasetVersion, job, modelVersion, user } from '../db/schema';
import { NotFoundError } from '../errors';
import { formErrors, type FieldErrors } from '../forms';
import { orNotFound } from '../not-found';
import { text as checkedText } from '../text';
import { listDomains } from '../prompts/list';
import { contentTypes } from './files';
import { datasetInputSchema, getDataset, type Dataset, type DatasetInput } from './definitions';
import { parseVersionNumber } from './layout';
import { MANIFEST, manifestSchema, type Manifest } from './manifest';
import type { DatasetSpec } from './spec';
import { findVersion, type DatasetVersion } from './versions';

/**
 * What the admin dataset pages need beyond the domain modules: the pages'
 * ids turned into datasets and versions (a 404 page when they name nothing),
 * the definition form and what it offers, a version's live state for
 * polling, and which stored objects a download may serve.
 */

const uuid = z.uuid();

/** The dataset a route's `[id]` names; anything but an existing dataset's id is a 404. */
export function datasetOr404(db: DbOrTx, id: string): Promise<Dataset> {
	if (!uuid.safeParse(id).success) error(404, 'That dataset does not exist.');
	return orNotFound(getDataset(db, id));
}

/** The version `/v/[version]` names within the dataset; a number that is no version of it is a 404. */
export function versionOr404(db: DbOrTx, datasetId: string, number: string): Promise<DatasetVersion> {
	const parsed = parseVersionNumber(number);
	if (parsed === null) error(404, `This dataset has no version ${number}.`);
	return orNotFound(findVersion(db, datasetId, parsed));
}

// ── the definition form ─────────────────────────────────────────────────────

// Fields are named by their path in datasetInputSchema (`spec.filters.minAgreement`),
// so the path of a zod issue is the name of the field it is about.
const checkboxFields = ['spec.contents.preferences', 'spec.contents.sft', 'spec.contents.prompts', 'spec.filters.includeGoldEdits', 'spec.filters.includeEvaluation', 'spec.margin.enabled'];
const listFields = ['spec.filters.domains', 'spec.filters.modelVersionIds', 'spec.filters.excludeAnnotatorIds', 'spec.quality.flags'];
const qualityNumbers = ['spec.quality.minCheckAccuracy', 'spec.quality.minAgreement', 'spec.quality.minEvidence'];
const numberFields = ['spec.filters.minAgreement', ...[0, 1, 2, 3].map((i) => `spec.margin.byStrength.${i}`), 'spec.margin.goldEdit', 'spec.split.testPercent', ...qualityNumbers];
const dayFields = ['spec.filters.from', 'spec.filters.to'];
const textFields = ['name', 'slug', 'description', ...dayFields, 'spec.aggregation.mode', 'spec.aggregation.ties', 'spec.quality.flagged', 'spec.split.seed'];

/** The form as shown: checkboxes 'on' or '', multi-selects as lists, everything else as typed. */
export type DatasetFields = Record<string, string | string[]>;

/** A stored definition (or the default) as the form's fields. */
export function datasetFields(input: { name: string; slug: string; description: string; spec: DatasetSpec }): DatasetFields {
	const fields: DatasetFields = {};
	const walk = (value: unknown, path: string): void => {
		// What a version's quality filters resolved to is frozen with the version, never a field of the form.
		if (path === 'spec.quality.resolved') return;
		if (listFields.includes(path)) fields[path] = value as string[];
		else if (value !== null && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
		else if (typeof value === 'boolean') fields[path] = value ? 'on' : '';
		else fields[path] = value === undefined ? '' : String(value);
	};
	walk(input, '');
	return fields;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
	const keys = path.split('.');
	let node = target;
	for (const [i, key] of keys.slice(0, -1).entries()) node = (node[key] ??= /^\d+$/.test(keys[i + 1]!) ? [] : {}) as Record<string, unknown>;
	node[keys.at(-1)!] = value;
}

export type DatasetForm = { fields: DatasetFields } & ({ input: DatasetInput; errors: null } | { input: null; errors: FieldErrors });

/**
 * The posted form checked against datasetInputSchema; `fields` refill the form after a refusal.
 * `keepSlug`: editing, where the slug is not in the form and never changes (it is in object paths).
 */
export function readDatasetForm(form: FormData, keepSlug?: string): DatasetForm {
	const fields: DatasetFields = {};
	const shaped: Record<string, unknown> = {};
	const notNumbers: FieldErrors = {};
	const notChecks: FieldErrors = {};
	const text = (name: string) => {
		const value = form.get(name);
		return typeof value === 'string' ? value : '';
	};
	for (const name of checkboxFields) {
		// A browser sends 'on' or leaves the box out; anything else was made by hand and is refused, not read as "off".
		if (!['on', ''].includes(text(name))) notChecks[name] = 'A checkbox is "on" or left out.';
		fields[name] = text(name) === 'on' ? 'on' : '';
		setPath(shaped, name, fields[name] === 'on');
	}
	for (const name of listFields) {
		const chosen = form.getAll(name).filter((value) => typeof value === 'string');
		fields[name] = chosen;
		setPath(shaped, name, chosen);
	}
	for (const name of textFields) {
		fields[name] = text(name);
		setPath(shaped, name, dayFields.includes(name) && !fields[name] ? undefined : fields[name]);
	}
	for (const name of numberFields) {
		const typed = (fields[name] = text(name));
		if (typed.trim() === '' || !Number.isFinite(Number(typed))) notNumbers[name] = 'Enter a number, such as 0.5.';
		setPath(shaped, name, Number(typed));
	}
	if (keepSlug !== undefined) shaped.slug = fields.slug = keepSlug;
	const parsed = datasetInputSchema.safeParse(shaped);
	const errors = { ...(parsed.success ? {} : formErrors(parsed.error)), ...notNumbers, ...notChecks };
	return parsed.success && Object.keys(errors).length === 0 ? { fields, input: parsed.data, errors: null } : { fields, input: null, errors };
}

// ── what the definition form offers ──────────────────────────────────────────

export type SpecChoices = {
	domains: string[];
	models: Array<{ id: string; name: string; status: string }>;
	/** Everyone who may have judged or written gold: annotators, reviewers and admins alike. */
	people: Array<{ id: string; displayName: string; role: string }>;
};

export async function specChoices(db: DbOrTx, personaId: string): Promise<SpecChoices> {
	const [domains, models, people] = await Promise.all([
		listDomains(db, personaId),
		db
			.select({ id: modelVersion.id, name: modelVersion.name, status: modelVersion.status })
			.from(modelVersion)
			.where(eq(modelVersion.personaId, personaId))
			.orderBy(asc(modelVersion.name)),
		db.select({ id: user.id, displayName: user.displayName, role: user.role }).from(user).orderBy(asc(user.displayName))
	]);
	return { domains, models, people };
}

// ── a version's live state, for the progress bar ─────────────────────────────

/** The publish job's progress (publish.ts PublishProgress); absent until the job reports its first file. */
const progressSchema = z.object({
	file: checkedText(),
	filesDone: z.number(),
	files: z.number(),
	rowsWritten: z.number(),
	rows: z.number()
});
export type VersionProgress = z.infer<typeof progressSchema>;

export function progressOf(progress: unknown): VersionProgress | null {
	const parsed = progressSchema.safeParse(progress);
	return parsed.success ? parsed.data : null;
}

export type VersionState = Pick<DatasetVersion, 'id' | 'version' | 'status' | 'error'> & { progress: VersionProgress | null };

export async function versionState(db: DbOrTx, id: string): Promise<VersionState> {
	const gone = new NotFoundError('That dataset version does not exist.');
	if (!uuid.safeParse(id).success) throw gone;
	const [found] = await db
		.select({ id: datasetVersion.id, version: datasetVersion.version, status: datasetVersion.status, error: datasetVersion.error, progress: job.progress })
		.from(datasetVersion)
		.leftJoin(job, eq(job.id, datasetVersion.jobId))
		.where(eq(datasetVersion.id, id));
	if (!found) throw gone;
	return { ...found, progress: found.status === 'building' ? progressOf(found.progress) : null };
}

// ── published files ─────────────────────────────────────────────────────────

/** The manifest of a published version; null while it is building or after it failed. */
export function manifestOf(version: DatasetVersion): Manifest | null {
	return version.status === 'published' && version.manifest ? manifestSchema.parse(version.manifest) : null;
}

export type ServedFile = { key: string; filename: string; contentType: string; bytes: number | null };

/**
 * Only what the manifest lists (and the manifest itself) may be downloaded: the store may hold other keys.
 * Saved as `<dataset>-v3-prompts-train.jsonl`, so downloads of several versions do not overwrite each other.
 */
export function servedFile(version: DatasetVersion, datasetSlug: string, path: string): ServedFile | null {
	const manifest = manifestOf(version);
	if (!manifest) return null;
	const filename = [datasetSlug, `v${version.version}`, ...path.split('/')].join('-');
	if (path === MANIFEST) return { key: version.objectPrefix + MANIFEST, filename, contentType: contentTypes.json, bytes: null };
	const file = manifest.files.find((f) => f.path === path);
	return file ? { key: version.objectPrefix + file.path, filename, contentType: contentTypes[file.format], bytes: file.bytes } : null;
}

const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB": sizes people read, with the exact count kept in the manifest. */
export function humanBytes(bytes: number): string {
	let size = bytes;
	let unit = 0;
	while (size >= 1000 && unit < units.length - 1) {
		size /= 1000;
		unit++;
	}
	return unit === 0 ? `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}` : `${size.toFixed(size < 10 ? 1 : 0)} ${units[unit]}`;
}
