/**
 * The whole domain in one schema, shared by PGlite and PostgreSQL.
 * Enumerations are text columns with CHECK constraints (not pg enums) so later
 * migrations can widen them with a plain ALTER. Change this file only together
 * with a new migration (`npm run db:generate`); never edit a migration that ran.
 */
import { sql, type SQL } from 'drizzle-orm';
import {
	type AnyPgColumn,
	bigint,
	boolean,
	check,
	doublePrecision,
	foreignKey,
	index,
	integer,
	jsonb,
	pgSequence,
	pgTable,
	primaryKey,
	smallint,
	text,
	timestamp,
	unique,
	uniqueIndex,
	uuid
} from 'drizzle-orm/pg-core';

export const roles = ['annotator', 'reviewer', 'admin'] as const;
export type Role = (typeof roles)[number];

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const at = (name: string) => timestamp(name, { withTimezone: true });
const id = () => uuid('id').primaryKey().defaultRandom();

/** `column IN ('a', 'b')` for a CHECK constraint; values are our own constants, never input. */
function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
	return sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`;
}

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

// ── accounts ────────────────────────────────────────────────────────────────

export const user = pgTable(
	'user',
	{
		id: id(),
		/** Stored lower-cased and trimmed; compare with the normalised form only. */
		email: text('email').notNull(),
		displayName: text('display_name').notNull(),
		role: text('role', { enum: roles }).notNull(),
		passwordHash: text('password_hash').notNull(),
		disabledAt: at('disabled_at'),
		/** Arena mode (live replies from two models, blind, and a vote): admins always, others when an admin trusts them. */
		arenaAccess: boolean('arena_access').notNull().default(false),
		passwordChangedAt: at('password_changed_at').notNull().defaultNow(),
		createdAt: createdAt(),
		updatedAt: updatedAt()
	},
	(t) => [
		uniqueIndex('user_email_unique').on(t.email),
		check('user_role_check', oneOf(t.role, roles)),
		check('user_email_normalised', sql`${t.email} = lower(btrim(${t.email})) and ${t.email} like '%_@_%'`)
	]
);

/** Session id is the SHA-256 (hex) of the cookie token: a stolen table grants nothing. */
export const session = pgTable(
	'session',
	{
		id: text('id').primaryKey(),
		userId: uuid('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		expiresAt: at('expires_at').notNull(),
		createdAt: createdAt(),
		ip: text('ip'),
		userAgent: text('user_agent')
	},
	(t) => [index('session_user_idx').on(t.userId)]
);

export const invite = pgTable(
	'invite',
	{
		id: id(),
		email: text('email').notNull(),
		role: text('role', { enum: roles }).notNull(),
		/** SHA-256 (hex) of the token in the invite link. */
		tokenHash: text('token_hash').notNull(),
		invitedBy: uuid('invited_by').references(() => user.id, { onDelete: 'set null' }),
		expiresAt: at('expires_at').notNull(),
		acceptedAt: at('accepted_at'),
		revokedAt: at('revoked_at'),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('invite_token_unique').on(t.tokenHash),
		index('invite_email_idx').on(t.email),
		check('invite_role_check', oneOf(t.role, roles))
	]
);

/** Failed sign-ins per key (`email:<addr>` or `ip:<addr>`) for throttling. */
export const loginThrottle = pgTable('login_throttle', {
	key: text('key').primaryKey(),
	failures: integer('failures').notNull().default(0),
	windowStartedAt: at('window_started_at').notNull().defaultNow(),
	lockedUntil: at('locked_until')
});

// ── persona, prompts, models, candidates ────────────────────────────────────

export const persona = pgTable(
	'persona',
	{
		id: id(),
		slug: text('slug').notNull(),
		name: text('name').notNull(),
		/** Markdown shown to annotators. */
		styleGuide: text('style_guide').notNull(),
		/** Sent as the system message when sampling candidates. */
		systemPrompt: text('system_prompt').notNull(),
		/** How many annotators judge each new pair, unless the pair says otherwise. */
		defaultOverlap: smallint('default_overlap').notNull().default(3),
		/** Check rate, flag thresholds and test levels (quality/settings.ts); empty means the defaults. */
		qualitySettings: jsonb('quality_settings').$type<Record<string, unknown>>().notNull().default({}),
		/** Round size, verdict policy, automatic rounds and promotion (evaluation/settings.ts); empty means the defaults. */
		evaluationSettings: jsonb('evaluation_settings').$type<Record<string, unknown>>().notNull().default({}),
		createdAt: createdAt(),
		updatedAt: updatedAt()
	},
	(t) => [
		uniqueIndex('persona_slug_unique').on(t.slug),
		check('persona_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]*$'`),
		check('persona_overlap_range', sql`${t.defaultOverlap} between 1 and 20`)
	]
);

export const prompt = pgTable(
	'prompt',
	{
		id: id(),
		personaId: uuid('persona_id')
			.notNull()
			.references(() => persona.id, { onDelete: 'cascade' }),
		/** The conversation up to and including the user's turn. */
		messages: jsonb('messages').$type<ChatMessage[]>().notNull(),
		domain: text('domain').notNull(),
		source: text('source').notNull(),
		/** SHA-256 of the canonical messages JSON: the same conversation is imported once. */
		contentHash: text('content_hash').notNull(),
		/** The id the prompt had in the file it was imported from, if any. */
		externalId: text('external_id'),
		tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('prompt_content_unique').on(t.personaId, t.contentHash),
		uniqueIndex('prompt_external_id_unique').on(t.personaId, t.externalId).where(sql`${t.externalId} is not null`),
		// Target of pair's composite key: a pair's persona is its prompt's persona.
		unique('prompt_id_persona_unique').on(t.id, t.personaId),
		index('prompt_domain_idx').on(t.personaId, t.domain),
		check('prompt_domain_format', sql`${t.domain} ~ '^[a-z][a-z0-9_-]*$'`),
		check('prompt_messages_array', sql`jsonb_typeof(${t.messages}) = 'array' and jsonb_array_length(${t.messages}) > 0`)
	]
);

export const modelStatuses = ['candidate', 'current', 'retired'] as const;
export const modelKinds = ['endpoint', 'demo_pool', 'human'] as const;

export const modelVersion = pgTable(
	'model_version',
	{
		id: id(),
		personaId: uuid('persona_id')
			.notNull()
			.references(() => persona.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		/** `demo_pool` holds pre-written replies and has no endpoint; `human` holds approved gold edits (quality/gold-checks.ts). */
		kind: text('kind', { enum: modelKinds }).notNull().default('endpoint'),
		/** OpenAI-compatible base URL, e.g. http://vllm:8000/v1 */
		baseUrl: text('base_url'),
		model: text('model'),
		/** Name of the environment variable holding the API key; the key itself is never stored. */
		apiKeyEnv: text('api_key_env'),
		defaultParams: jsonb('default_params').$type<Record<string, unknown>>().notNull().default({}),
		status: text('status', { enum: modelStatuses }).notNull().default('candidate'),
		/** Lineage: the training run that produced this version, if any. */
		trainingRunId: uuid('training_run_id').references((): AnyPgColumn => trainingRun.id, {
			onDelete: 'set null'
		}),
		createdAt: createdAt(),
		updatedAt: updatedAt()
	},
	(t) => [
		uniqueIndex('model_version_name_unique').on(t.personaId, t.name),
		uniqueIndex('model_version_one_current').on(t.personaId).where(sql`${t.status} = 'current'`),
		check('model_version_status_check', oneOf(t.status, modelStatuses)),
		check('model_version_kind_check', oneOf(t.kind, modelKinds)),
		check(
			'model_version_endpoint_complete',
			sql`${t.kind} <> 'endpoint' or (${t.baseUrl} is not null and ${t.model} is not null)`
		),
		// People wrote these replies: they are never the model the persona samples from.
		check('model_version_human_never_current', sql`${t.kind} <> 'human' or ${t.status} <> 'current'`)
	]
);

export const candidateSources = ['sampled', 'imported', 'demo', 'gold_edit'] as const;

export const candidate = pgTable(
	'candidate',
	{
		id: id(),
		promptId: uuid('prompt_id')
			.notNull()
			.references(() => prompt.id, { onDelete: 'cascade' }),
		modelVersionId: uuid('model_version_id')
			.notNull()
			.references(() => modelVersion.id, { onDelete: 'restrict' }),
		text: text('text').notNull(),
		/** temperature, top_p, seed, … exactly as sent */
		params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
		finishReason: text('finish_reason'),
		promptTokens: integer('prompt_tokens'),
		completionTokens: integer('completion_tokens'),
		latencyMs: integer('latency_ms'),
		source: text('source', { enum: candidateSources }).notNull(),
		/** Set on a `gold_edit` candidate: the approved revision whose text it holds (one check per revision). */
		goldRevisionId: uuid('gold_revision_id').references((): AnyPgColumn => goldRevision.id, { onDelete: 'set null' }),
		/**
		 * Words in the reply (runs of non-space), kept by PostgreSQL: the quality
		 * snapshot's reading-speed check needs it for every judged pair, and
		 * counting 700k texts on every refresh would be most of the job's cost.
		 */
		words: integer('words')
			.notNull()
			.generatedAlwaysAs(sql`regexp_count(text, '\\S+')`),
		createdAt: createdAt()
	},
	(t) => [
		index('candidate_prompt_idx').on(t.promptId),
		uniqueIndex('candidate_gold_revision_unique').on(t.goldRevisionId).where(sql`${t.goldRevisionId} is not null`),
		// Target of pair's composite keys: both candidates of a pair answer the same prompt.
		unique('candidate_id_prompt_unique').on(t.id, t.promptId),
		check('candidate_source_check', oneOf(t.source, candidateSources)),
		check('candidate_counts_nonnegative', sql`coalesce(${t.promptTokens}, 0) >= 0 and coalesce(${t.completionTokens}, 0) >= 0 and coalesce(${t.latencyMs}, 0) >= 0`)
	]
);

// ── ranking ─────────────────────────────────────────────────────────────────

export const choices = ['a', 'b', 'tie', 'both_off_persona'] as const;
export type Choice = (typeof choices)[number];

export const pair = pgTable(
	'pair',
	{
		id: id(),
		promptId: uuid('prompt_id').notNull(),
		/** The prompt's persona, kept on the pair so the hand-out index covers one persona's queue. */
		personaId: uuid('persona_id').notNull(),
		candidateAId: uuid('candidate_a_id').notNull(),
		candidateBId: uuid('candidate_b_id').notNull(),
		/** How many different annotators judge this pair. */
		overlap: smallint('overlap').notNull(),
		priority: integer('priority').notNull().default(0),
		/**
		 * Gold check: the answer a careful annotator gives. A check is handed to
		 * every annotator once, at the persona's rate, outside the counters below
		 * (they stay 0 while it is a check; queue/checks.ts).
		 */
		knownAnswer: text('known_answer', { enum: choices }),
		/**
		 * An evaluation pair: its votes measure models against each other (evaluation/)
		 * and stay out of training datasets unless a definition asks for them.
		 */
		// No action (checked at the statement's end): a persona's deletion cascades to its rounds and its pairs together.
		evaluationRoundId: uuid('evaluation_round_id').references((): AnyPgColumn => evaluationRound.id),
		/** Judgments recorded; maintained with the judgment in one transaction. */
		judgmentCount: smallint('judgment_count').notNull().default(0),
		/** Leases outstanding (expired ones count until reclaimed, so the pair is never over-handed). */
		leaseCount: smallint('lease_count').notNull().default(0),
		createdAt: createdAt()
	},
	(t) => [
		foreignKey({ columns: [t.promptId, t.personaId], foreignColumns: [prompt.id, prompt.personaId] }).onDelete('cascade'),
		foreignKey({ columns: [t.candidateAId, t.promptId], foreignColumns: [candidate.id, candidate.promptId] }).onDelete('cascade'),
		foreignKey({ columns: [t.candidateBId, t.promptId], foreignColumns: [candidate.id, candidate.promptId] }).onDelete('cascade'),
		uniqueIndex('pair_candidates_unique').on(t.candidateAId, t.candidateBId),
		index('pair_prompt_idx').on(t.promptId),
		check('pair_distinct_candidates', sql`${t.candidateAId} <> ${t.candidateBId}`),
		check('pair_overlap_range', sql`${t.overlap} between 1 and 20`),
		check('pair_known_answer_check', sql`${t.knownAnswer} is null or ${oneOf(t.knownAnswer, choices)}`),
		// The promise of the queue, kept by the database: never more hands on a pair than its overlap.
		check('pair_counts_within_overlap', sql`${t.judgmentCount} >= 0 and ${t.leaseCount} >= 0 and ${t.judgmentCount} + ${t.leaseCount} <= ${t.overlap}`),
		// Hand-out order over the pairs that still need someone: done pairs and checks leave the index.
		index('pair_open_idx')
			.on(t.personaId, t.priority.desc(), t.createdAt, t.id)
			.where(sql`${t.judgmentCount} + ${t.leaseCount} < ${t.overlap} and ${t.knownAnswer} is null`),
		index('pair_check_idx').on(t.personaId).where(sql`${t.knownAnswer} is not null`),
		index('pair_evaluation_round_idx').on(t.evaluationRoundId).where(sql`${t.evaluationRoundId} is not null`)
	]
);

/** Work handed out and not yet returned. */
export const lease = pgTable(
	'lease',
	{
		id: id(),
		pairId: uuid('pair_id')
			.notNull()
			.references(() => pair.id, { onDelete: 'cascade' }),
		annotatorId: uuid('annotator_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		/** Which candidate this annotator sees on the left (random, fixed per lease). */
		leftCandidateId: uuid('left_candidate_id').notNull(),
		expiresAt: at('expires_at').notNull(),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('lease_pair_annotator_unique').on(t.pairId, t.annotatorId),
		index('lease_annotator_idx').on(t.annotatorId, t.createdAt),
		index('lease_expiry_idx').on(t.expiresAt)
	]
);

/** A pair an annotator passed on: never handed to them again. */
export const pairSkip = pgTable(
	'pair_skip',
	{
		pairId: uuid('pair_id')
			.notNull()
			.references(() => pair.id, { onDelete: 'cascade' }),
		annotatorId: uuid('annotator_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		createdAt: createdAt()
	},
	(t) => [primaryKey({ columns: [t.annotatorId, t.pairId] })]
);

/**
 * Every pair handed to an annotator, with the side shown on the left: kept
 * after the lease expires or is reclaimed, so a late vote still finds which
 * reply was on the left, and a vote on a pair never handed out is refused.
 */
export const pairHandout = pgTable(
	'pair_handout',
	{
		pairId: uuid('pair_id')
			.notNull()
			.references(() => pair.id, { onDelete: 'cascade' }),
		annotatorId: uuid('annotator_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		leftCandidateId: uuid('left_candidate_id').notNull(),
		createdAt: createdAt()
	},
	(t) => [primaryKey({ columns: [t.annotatorId, t.pairId] })]
);

export const judgment = pgTable(
	'judgment',
	{
		id: id(),
		/** Made by the client before the first send, so a retried submit is recorded once. */
		clientId: uuid('client_id').notNull(),
		pairId: uuid('pair_id')
			.notNull()
			.references(() => pair.id, { onDelete: 'cascade' }),
		annotatorId: uuid('annotator_id')
			.notNull()
			.references(() => user.id, { onDelete: 'restrict' }),
		choice: text('choice', { enum: choices }).notNull(),
		/** 1 negligibly, 2 slightly, 3 clearly, 4 much better (Llama 2's scale); only for a / b. */
		strength: smallint('strength'),
		leftCandidateId: uuid('left_candidate_id')
			.notNull()
			.references(() => candidate.id, { onDelete: 'cascade' }),
		durationMs: integer('duration_ms'),
		rationale: text('rationale'),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('judgment_pair_annotator_unique').on(t.pairId, t.annotatorId),
		uniqueIndex('judgment_client_id_unique').on(t.clientId),
		index('judgment_annotator_idx').on(t.annotatorId, t.createdAt),
		check('judgment_choice_check', oneOf(t.choice, choices)),
		check(
			'judgment_strength_matches_choice',
			// `is not null` first: a NULL strength would make the whole CHECK NULL, which passes
			sql`(${t.choice} in ('a', 'b') and ${t.strength} is not null and ${t.strength} between 1 and 4) or (${t.choice} in ('tie', 'both_off_persona') and ${t.strength} is null)`
		),
		check('judgment_duration_nonnegative', sql`${t.durationMs} is null or ${t.durationMs} >= 0`),
		check('judgment_rationale_length', sql`${t.rationale} is null or char_length(${t.rationale}) <= 2000`)
	]
);

/** Judgments their annotator took back: a retried undo finds it here and answers success. */
export const judgmentUndo = pgTable('judgment_undo', {
	clientId: uuid('client_id').primaryKey(),
	annotatorId: uuid('annotator_id')
		.notNull()
		.references(() => user.id, { onDelete: 'cascade' }),
	pairId: uuid('pair_id')
		.notNull()
		.references(() => pair.id, { onDelete: 'cascade' }),
	createdAt: createdAt()
});

// ── gold examples ───────────────────────────────────────────────────────────

export const goldStatuses = ['draft', 'submitted', 'approved', 'changes_requested', 'rejected'] as const;
export const reviewDecisions = ['approved', 'changes_requested', 'rejected'] as const;

export const goldExample = pgTable(
	'gold_example',
	{
		id: id(),
		promptId: uuid('prompt_id')
			.notNull()
			.references(() => prompt.id, { onDelete: 'cascade' }),
		/** The reply it was edited from; null when written from scratch. */
		sourceCandidateId: uuid('source_candidate_id').references(() => candidate.id, { onDelete: 'set null' }),
		authorId: uuid('author_id')
			.notNull()
			.references(() => user.id, { onDelete: 'restrict' }),
		status: text('status', { enum: goldStatuses }).notNull().default('draft'),
		/** Set by an admin: shown to annotators as a reference of the persona's voice. */
		pinnedAt: at('pinned_at'),
		createdAt: createdAt(),
		updatedAt: updatedAt()
	},
	(t) => [
		index('gold_example_status_idx').on(t.status, t.updatedAt),
		check('gold_example_status_check', oneOf(t.status, goldStatuses))
	]
);

export const goldRevision = pgTable(
	'gold_revision',
	{
		id: id(),
		goldExampleId: uuid('gold_example_id')
			.notNull()
			.references(() => goldExample.id, { onDelete: 'cascade' }),
		revision: integer('revision').notNull(),
		text: text('text').notNull(),
		authorId: uuid('author_id')
			.notNull()
			.references(() => user.id, { onDelete: 'restrict' }),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('gold_revision_number_unique').on(t.goldExampleId, t.revision),
		check('gold_revision_positive', sql`${t.revision} >= 1`)
	]
);

export const goldReview = pgTable(
	'gold_review',
	{
		id: id(),
		goldExampleId: uuid('gold_example_id')
			.notNull()
			.references(() => goldExample.id, { onDelete: 'cascade' }),
		revisionId: uuid('revision_id')
			.notNull()
			.references(() => goldRevision.id, { onDelete: 'cascade' }),
		reviewerId: uuid('reviewer_id')
			.notNull()
			.references(() => user.id, { onDelete: 'restrict' }),
		decision: text('decision', { enum: reviewDecisions }).notNull(),
		comment: text('comment'),
		createdAt: createdAt()
	},
	(t) => [
		index('gold_review_example_idx').on(t.goldExampleId),
		check('gold_review_decision_check', oneOf(t.decision, reviewDecisions))
	]
);

// ── datasets ────────────────────────────────────────────────────────────────

export const dataset = pgTable(
	'dataset',
	{
		id: id(),
		personaId: uuid('persona_id')
			.notNull()
			.references(() => persona.id, { onDelete: 'cascade' }),
		slug: text('slug').notNull(),
		name: text('name').notNull(),
		/** Filters, aggregation, margin table, split rule. */
		spec: jsonb('spec').$type<Record<string, unknown>>().notNull(),
		description: text('description').notNull().default(''),
		createdBy: uuid('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt(),
		updatedAt: updatedAt()
	},
	(t) => [
		uniqueIndex('dataset_slug_unique').on(t.personaId, t.slug),
		check('dataset_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]*$'`)
	]
);

export const datasetVersionStatuses = ['building', 'published', 'failed'] as const;

export const datasetVersion = pgTable(
	'dataset_version',
	{
		id: id(),
		datasetId: uuid('dataset_id')
			.notNull()
			.references(() => dataset.id, { onDelete: 'restrict' }),
		version: integer('version').notNull(),
		status: text('status', { enum: datasetVersionStatuses }).notNull().default('building'),
		/** The dataset spec as it was when this version was frozen. */
		spec: jsonb('spec').$type<Record<string, unknown>>().notNull(),
		parentVersionId: uuid('parent_version_id').references((): AnyPgColumn => datasetVersion.id),
		objectPrefix: text('object_prefix').notNull(),
		manifest: jsonb('manifest').$type<Record<string, unknown>>(),
		/** SHA-256 of the stored manifest.json bytes, recorded when they are written (training checks it). */
		manifestSha256: text('manifest_sha256'),
		error: text('error'),
		/** The job that writes (or last wrote) the files; its progress is the version's progress bar. */
		jobId: uuid('job_id').references((): AnyPgColumn => job.id, { onDelete: 'set null' }),
		createdBy: uuid('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt(),
		publishedAt: at('published_at')
	},
	(t) => [
		uniqueIndex('dataset_version_number_unique').on(t.datasetId, t.version),
		check('dataset_version_positive', sql`${t.version} >= 1`),
		check('dataset_version_status_check', oneOf(t.status, datasetVersionStatuses)),
		check('dataset_version_published_has_manifest', sql`${t.status} <> 'published' or ${t.manifest} is not null`)
	]
);

export const datasetRowKinds = ['preference', 'sft', 'prompt', 'vote'] as const;
export const preferenceSources = ['judgment', 'gold_edit'] as const;
export const splits = ['train', 'test'] as const;

/**
 * Frozen membership of a version: what went into it, in order. The ids name
 * rows elsewhere without foreign keys: a version of a million rows would pay
 * eight constraint triggers per row at publish time, and nothing here is read
 * again once the files are stored. A retried build counts what it reads
 * against what was frozen and fails loudly if anything has since gone.
 */
export const datasetVersionRow = pgTable(
	'dataset_version_row',
	{
		datasetVersionId: uuid('dataset_version_id')
			.notNull()
			.references(() => datasetVersion.id, { onDelete: 'cascade' }),
		kind: text('kind', { enum: datasetRowKinds }).notNull(),
		position: integer('position').notNull(),
		split: text('split', { enum: splits }).notNull(),
		pairId: uuid('pair_id'),
		goldExampleId: uuid('gold_example_id'),
		promptId: uuid('prompt_id'),
		judgmentId: uuid('judgment_id'),
		/** Preference rows: where the preference came from. */
		source: text('source', { enum: preferenceSources }),
		/**
		 * Preference rows from judgments: the outcome frozen at publish time, so a vote
		 * that arrives later never changes what v3 says.
		 */
		chosenCandidateId: uuid('chosen_candidate_id'),
		rejectedCandidateId: uuid('rejected_candidate_id'),
		/** SFT rows and gold-edit preferences: the approved revision, which later edits never touch. */
		goldRevisionId: uuid('gold_revision_id'),
		margin: doublePrecision('margin'),
		/** Majority rows: votes for the winner and votes cast on the pair. */
		votesFor: smallint('votes_for'),
		votesTotal: smallint('votes_total'),
		/**
		 * Vote rows on a gold check: the expected answer as it was at freeze, so
		 * unmarking the check later never changes what votes.jsonl says.
		 */
		knownAnswer: text('known_answer', { enum: choices })
	},
	(t) => [
		primaryKey({ columns: [t.datasetVersionId, t.kind, t.position] }),
		check('dataset_row_source_check', sql`${t.source} is null or ${oneOf(t.source, preferenceSources)}`),
		check('dataset_row_kind_check', oneOf(t.kind, datasetRowKinds)),
		check('dataset_row_split_check', oneOf(t.split, splits)),
		check('dataset_row_position_nonnegative', sql`${t.position} >= 0`),
		check('dataset_row_known_answer_check', sql`${t.knownAnswer} is null or ${oneOf(t.knownAnswer, choices)}`)
	]
);

// ── background work and the outside world ───────────────────────────────────

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** Claimed with FOR UPDATE SKIP LOCKED so several app instances can share the queue. */
export const job = pgTable(
	'job',
	{
		id: id(),
		kind: text('kind').notNull(),
		payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
		status: text('status', { enum: jobStatuses }).notNull().default('queued'),
		attempts: integer('attempts').notNull().default(0),
		maxAttempts: integer('max_attempts').notNull().default(5),
		runAfter: at('run_after').notNull().defaultNow(),
		lockedBy: text('locked_by'),
		lockedUntil: at('locked_until'),
		lastError: text('last_error'),
		/** Enqueueing the same logical work twice yields one job. */
		dedupeKey: text('dedupe_key'),
		personaId: uuid('persona_id').references(() => persona.id, { onDelete: 'cascade' }),
		createdBy: uuid('created_by').references(() => user.id, { onDelete: 'set null' }),
		/** Counters the job page shows (done, failed, …), written by the worker. */
		progress: jsonb('progress').$type<Record<string, unknown>>().notNull().default({}),
		/** Set by "cancel"; workers stop taking the job's items once they see it. */
		cancelRequestedAt: at('cancel_requested_at'),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
		finishedAt: at('finished_at')
	},
	(t) => [
		uniqueIndex('job_dedupe_unique').on(t.dedupeKey),
		index('job_ready_idx').on(t.status, t.runAfter),
		check('job_status_check', oneOf(t.status, jobStatuses)),
		check('job_attempts_range', sql`${t.attempts} >= 0 and ${t.maxAttempts} >= 1`)
	]
);

export const samplingItemStatuses = ['queued', 'running', 'done', 'failed'] as const;

/**
 * One reply to ask a model for, within a sampling job: a prompt and a slot
 * (which temperature, seed or model version). Items are claimed with
 * SKIP LOCKED, so app instances never ask for the same reply twice, and a
 * resumed job only asks for what is not done.
 */
export const samplingItem = pgTable(
	'sampling_item',
	{
		id: id(),
		jobId: uuid('job_id')
			.notNull()
			.references(() => job.id, { onDelete: 'cascade' }),
		promptId: uuid('prompt_id')
			.notNull()
			.references(() => prompt.id, { onDelete: 'cascade' }),
		/** e.g. `t=0.7`, `seed=3`, `current`, `previous`: unique within the job and prompt. */
		slot: text('slot').notNull(),
		modelVersionId: uuid('model_version_id')
			.notNull()
			.references(() => modelVersion.id, { onDelete: 'cascade' }),
		/** Generation parameters sent for this reply (temperature, top_p, seed, max_tokens). */
		params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
		status: text('status', { enum: samplingItemStatuses }).notNull().default('queued'),
		attempts: integer('attempts').notNull().default(0),
		lastError: text('last_error'),
		candidateId: uuid('candidate_id').references(() => candidate.id, { onDelete: 'set null' }),
		lockedUntil: at('locked_until'),
		updatedAt: updatedAt()
	},
	(t) => [
		uniqueIndex('sampling_item_slot_unique').on(t.jobId, t.promptId, t.slot),
		index('sampling_item_job_status_idx').on(t.jobId, t.status),
		check('sampling_item_status_check', oneOf(t.status, samplingItemStatuses)),
		check('sampling_item_attempts_nonnegative', sql`${t.attempts} >= 0`)
	]
);

export const storageEventOutcomes = ['accepted', 'duplicate', 'ignored', 'rejected'] as const;

/** Every delivery to the storage webhook, accepted or not, as admins see them. */
export const storageEvent = pgTable(
	'storage_event',
	{
		id: id(),
		/** bucket/key/sequencer (or eTag): redeliveries of one event share it. Null when rejected before parsing. */
		dedupeKey: text('dedupe_key'),
		eventName: text('event_name').notNull(),
		bucket: text('bucket').notNull(),
		objectKey: text('object_key').notNull(),
		payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
		outcome: text('outcome', { enum: storageEventOutcomes }).notNull(),
		/** Why it was ignored or rejected, or which job it started. */
		reason: text('reason'),
		remoteAddress: text('remote_address'),
		datasetVersionId: uuid('dataset_version_id').references(() => datasetVersion.id, { onDelete: 'set null' }),
		receivedAt: at('received_at').notNull().defaultNow()
	},
	(t) => [
		index('storage_event_dedupe_idx').on(t.dedupeKey),
		index('storage_event_received_idx').on(t.receivedAt),
		check('storage_event_outcome_check', oneOf(t.outcome, storageEventOutcomes))
	]
);

/** Why the storage webhook turned a delivery away before it reached the receiver's records. */
export const webhookRejectionReasons = ['rate_limited', 'no_token', 'wrong_token', 'too_large', 'not_an_event'] as const;
export type WebhookRejectionReason = (typeof webhookRejectionReasons)[number];

/** Rejected deliveries counted per hour and reason: a flood adds to a number, never to the rows. */
export const webhookRejectionCount = pgTable(
	'webhook_rejection_count',
	{
		hour: at('hour').notNull(),
		reason: text('reason', { enum: webhookRejectionReasons }).notNull(),
		count: bigint('count', { mode: 'number' }).notNull().default(0)
	},
	(t) => [primaryKey({ columns: [t.hour, t.reason] }), check('webhook_rejection_count_reason_check', oneOf(t.reason, webhookRejectionReasons))]
);

export const WEBHOOK_REJECTION_SAMPLES = 50;

/** Numbers the rejected deliveries; each one's slot in the sample is its number modulo the sample size. */
export const webhookRejectionSeq = pgSequence('webhook_rejection_seq');

/** The last rejected deliveries, for diagnosis: a ring of fixed slots, so never more rows. Never what token was sent. */
export const webhookRejectionSample = pgTable(
	'webhook_rejection_sample',
	{
		slot: smallint('slot').primaryKey(),
		reason: text('reason', { enum: webhookRejectionReasons }).notNull(),
		remoteAddress: text('remote_address'),
		/** The body's declared (or read) size; null when the sender declared none and it was not read. */
		bytes: bigint('bytes', { mode: 'number' }),
		/** What was wrong with an event that did not parse, cut short. */
		detail: text('detail'),
		receivedAt: at('received_at').notNull().defaultNow()
	},
	(t) => [
		check('webhook_rejection_sample_slot_check', sql`${t.slot} >= 0 and ${t.slot} < ${sql.raw(String(WEBHOOK_REJECTION_SAMPLES))}`),
		check('webhook_rejection_sample_reason_check', oneOf(t.reason, webhookRejectionReasons)),
		index('webhook_rejection_sample_received_idx').on(t.receivedAt)
	]
);

export const trainingRunKinds = ['reward_model', 'ppo'] as const;

export const trainingRun = pgTable(
	'training_run',
	{
		id: id(),
		datasetVersionId: uuid('dataset_version_id')
			.notNull()
			.references(() => datasetVersion.id, { onDelete: 'restrict' }),
		kind: text('kind', { enum: trainingRunKinds }).notNull(),
		/** The PPO run's reward-model run. */
		parentRunId: uuid('parent_run_id').references((): AnyPgColumn => trainingRun.id),
		/** The policy PPO starts from. */
		baseModelVersionId: uuid('base_model_version_id').references(() => modelVersion.id),
		kfpRunId: text('kfp_run_id'),
		/** KFP run state (PENDING, RUNNING, SUCCEEDED, …) or NOT_CONFIGURED. */
		state: text('state').notNull(),
		stateHistory: jsonb('state_history').$type<Array<{ state: string; at: string }>>().notNull().default([]),
		parameters: jsonb('parameters').$type<Record<string, unknown>>().notNull().default({}),
		/** The exact create-run request sent (or that would be sent) to Kubeflow. */
		request: jsonb('request').$type<Record<string, unknown>>(),
		outputs: jsonb('outputs').$type<Record<string, unknown>>(),
		/** What the run reported about itself once it succeeded (training/metrics-file.ts), or why nothing could be read. */
		metrics: jsonb('metrics').$type<Record<string, unknown>>(),
		error: text('error'),
		/** One training chain (reward model, then PPO) of a dataset version: `<version id>#<n>`, n = 1 unless re-run. */
		chainKey: text('chain_key').notNull(),
		experimentId: text('experiment_id'),
		submittedAt: at('submitted_at'),
		finishedAt: at('finished_at'),
		createdAt: createdAt(),
		updatedAt: updatedAt()
	},
	(t) => [
		uniqueIndex('training_run_kfp_unique').on(t.kfpRunId),
		uniqueIndex('training_run_chain_kind_unique').on(t.chainKey, t.kind),
		index('training_run_version_idx').on(t.datasetVersionId),
		check('training_run_kind_check', oneOf(t.kind, trainingRunKinds))
	]
);

export const auditEvent = pgTable(
	'audit_event',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		actorId: uuid('actor_id').references(() => user.id, { onDelete: 'set null' }),
		/** e.g. user.create, user.role, user.disable */
		action: text('action').notNull(),
		targetType: text('target_type'),
		targetId: text('target_id'),
		details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
		ip: text('ip'),
		createdAt: createdAt()
	},
	(t) => [index('audit_event_created_idx').on(t.createdAt), index('audit_event_target_idx').on(t.targetType, t.targetId)]
);

// ── quality ─────────────────────────────────────────────────────────────────

/** Why an annotator's judgments are not trusted without a look (definitions in docs/architecture.md). */
export const qualityFlags = [
	'low_check_accuracy',
	'low_agreement',
	'position_bias',
	'too_fast',
	'same_answer_runs',
	'tie_rate',
	'off_rate',
	'same_strength'
] as const;
export type QualityFlag = (typeof qualityFlags)[number];

/**
 * One computation of a persona's quality figures. Pages and dataset filters read
 * the newest snapshot instead of a million judgments; a job writes a new one
 * when judgments arrived since (src/lib/server/quality/).
 */
export const qualitySnapshot = pgTable(
	'quality_snapshot',
	{
		id: id(),
		personaId: uuid('persona_id')
			.notNull()
			.references(() => persona.id, { onDelete: 'cascade' }),
		computedAt: at('computed_at').notNull().defaultNow(),
		/** Judgments the figures were computed from. */
		judgments: integer('judgments').notNull(),
		/** The newest judgment included: a later one makes the snapshot stale. */
		lastJudgmentAt: at('last_judgment_at'),
		/** The persona's quality settings as they were (thresholds, levels). */
		settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
		/** Crowd-level figures: α and agreement overall, per domain and week, position bias, per day (quality/figures.ts). */
		figures: jsonb('figures').$type<Record<string, unknown>>().notNull(),
		durationMs: integer('duration_ms').notNull()
	},
	(t) => [index('quality_snapshot_persona_idx').on(t.personaId, t.computedAt.desc())]
);

/** Each annotator's figures within a snapshot: what the quality table sorts and filters. */
export const qualityAnnotator = pgTable(
	'quality_annotator',
	{
		snapshotId: uuid('snapshot_id')
			.notNull()
			.references(() => qualitySnapshot.id, { onDelete: 'cascade' }),
		annotatorId: uuid('annotator_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		votes: integer('votes').notNull(),
		/** Pairs shared with others where the others had a majority, and how many of those this annotator matched. */
		sharedPairs: integer('shared_pairs').notNull(),
		agreements: integer('agreements').notNull(),
		agreement: doublePrecision('agreement'),
		agreementLow: doublePrecision('agreement_low'),
		agreementHigh: doublePrecision('agreement_high'),
		checkAnswers: integer('check_answers').notNull(),
		checkCorrect: integer('check_correct').notNull(),
		checkAccuracy: doublePrecision('check_accuracy'),
		checkLow: doublePrecision('check_low'),
		checkHigh: doublePrecision('check_high'),
		/** a / b votes, and how many of them went to the reply shown on the left. */
		abVotes: integer('ab_votes').notNull(),
		leftPicks: integer('left_picks').notNull(),
		leftShare: doublePrecision('left_share'),
		leftPValue: doublePrecision('left_p_value'),
		medianMs: integer('median_ms'),
		/** Votes given faster than the reading-speed limit allows for the two replies. */
		fastVotes: integer('fast_votes').notNull(),
		longestRun: integer('longest_run').notNull(),
		tieRate: doublePrecision('tie_rate'),
		offRate: doublePrecision('off_rate'),
		/** Share of a / b votes with the annotator's most used strength. */
		strengthModeShare: doublePrecision('strength_mode_share'),
		flags: text('flags').array().notNull().default(sql`'{}'::text[]`)
	},
	(t) => [primaryKey({ columns: [t.snapshotId, t.annotatorId] }), index('quality_annotator_user_idx').on(t.annotatorId)]
);

// ── evaluation ──────────────────────────────────────────────────────────────

/** Who started a round: an admin, the training chain on registering a candidate, or arena mode's live votes. */
export const evaluationRoundSources = ['admin', 'chain', 'arena'] as const;
/** Where a round's prompts came from (the page says which). */
export const evaluationPromptSources = ['test_split', 'prompts', 'arena'] as const;

/**
 * A blind comparison of two or more model versions of a persona: pairs of
 * their replies to the same prompts, judged in the ranking queue like any
 * other pair (src/lib/server/evaluation/).
 */
export const evaluationRound = pgTable(
	'evaluation_round',
	{
		id: id(),
		personaId: uuid('persona_id')
			.notNull()
			.references(() => persona.id, { onDelete: 'cascade' }),
		/** Round 1, 2, … within the persona. */
		number: integer('number').notNull(),
		source: text('source', { enum: evaluationRoundSources }).notNull(),
		/** The model the round is about (its verdict), if one is: a new candidate, say. */
		candidateModelVersionId: uuid('candidate_model_version_id').references(() => modelVersion.id, { onDelete: 'restrict' }),
		/** The model the candidate is measured against: the persona's current model when the round started. */
		baselineModelVersionId: uuid('baseline_model_version_id').references(() => modelVersion.id, { onDelete: 'restrict' }),
		promptSource: text('prompt_source', { enum: evaluationPromptSources }).notNull(),
		/** The dataset version whose test split the prompts came from (the one that trained the candidate). */
		datasetVersionId: uuid('dataset_version_id').references(() => datasetVersion.id, { onDelete: 'restrict' }),
		promptsRequested: integer('prompts_requested').notNull().default(0),
		priority: integer('priority').notNull().default(0),
		overlap: smallint('overlap').notNull().default(1),
		temperature: doublePrecision('temperature'),
		samplingJobId: uuid('sampling_job_id').references(() => job.id, { onDelete: 'set null' }),
		createdBy: uuid('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt(),
		/** No new pairs once closed; its votes still count. */
		closedAt: at('closed_at')
	},
	(t) => [
		uniqueIndex('evaluation_round_number_unique').on(t.personaId, t.number),
		// The chain starts at most one round per candidate it registers (a retried step finds it).
		uniqueIndex('evaluation_round_chain_unique').on(t.candidateModelVersionId).where(sql`${t.source} = 'chain'`),
		index('evaluation_round_persona_idx').on(t.personaId, t.createdAt.desc()),
		check('evaluation_round_source_check', oneOf(t.source, evaluationRoundSources)),
		check('evaluation_round_prompt_source_check', oneOf(t.promptSource, evaluationPromptSources)),
		check('evaluation_round_overlap_range', sql`${t.overlap} between 1 and 20`),
		check('evaluation_round_prompts_nonnegative', sql`${t.promptsRequested} >= 0`)
	]
);

/** The model versions a round compares (two or more). */
export const evaluationRoundModel = pgTable(
	'evaluation_round_model',
	{
		roundId: uuid('round_id')
			.notNull()
			.references(() => evaluationRound.id, { onDelete: 'cascade' }),
		modelVersionId: uuid('model_version_id')
			.notNull()
			.references(() => modelVersion.id, { onDelete: 'restrict' })
	},
	(t) => [primaryKey({ columns: [t.roundId, t.modelVersionId] }), index('evaluation_round_model_model_idx').on(t.modelVersionId)]
);
