CREATE TABLE "audit_event" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_event_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"actor_id" uuid,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "candidate" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"prompt_id" uuid NOT NULL,
	"model_version_id" uuid NOT NULL,
	"text" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"finish_reason" text,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"latency_ms" integer,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "candidate_id_prompt_unique" UNIQUE("id","prompt_id"),
	CONSTRAINT "candidate_source_check" CHECK ("candidate"."source" in ('sampled', 'imported', 'demo')),
	CONSTRAINT "candidate_counts_nonnegative" CHECK (coalesce("candidate"."prompt_tokens", 0) >= 0 and coalesce("candidate"."completion_tokens", 0) >= 0 and coalesce("candidate"."latency_ms", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "dataset" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"persona_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"spec" jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dataset_slug_format" CHECK ("dataset"."slug" ~ '^[a-z0-9][a-z0-9-]*$')
);
--> statement-breakpoint
CREATE TABLE "dataset_version" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dataset_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"status" text DEFAULT 'building' NOT NULL,
	"spec" jsonb NOT NULL,
	"parent_version_id" uuid,
	"object_prefix" text NOT NULL,
	"manifest" jsonb,
	"error" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "dataset_version_positive" CHECK ("dataset_version"."version" >= 1),
	CONSTRAINT "dataset_version_status_check" CHECK ("dataset_version"."status" in ('building', 'published', 'failed')),
	CONSTRAINT "dataset_version_published_has_manifest" CHECK ("dataset_version"."status" <> 'published' or "dataset_version"."manifest" is not null)
);
--> statement-breakpoint
CREATE TABLE "dataset_version_row" (
	"dataset_version_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"position" integer NOT NULL,
	"split" text NOT NULL,
	"pair_id" uuid,
	"gold_example_id" uuid,
	"prompt_id" uuid,
	"judgment_id" uuid,
	CONSTRAINT "dataset_version_row_dataset_version_id_kind_position_pk" PRIMARY KEY("dataset_version_id","kind","position"),
	CONSTRAINT "dataset_row_kind_check" CHECK ("dataset_version_row"."kind" in ('preference', 'sft', 'prompt', 'vote')),
	CONSTRAINT "dataset_row_split_check" CHECK ("dataset_version_row"."split" in ('train', 'test')),
	CONSTRAINT "dataset_row_position_nonnegative" CHECK ("dataset_version_row"."position" >= 0)
);
--> statement-breakpoint
CREATE TABLE "gold_example" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"prompt_id" uuid NOT NULL,
	"source_candidate_id" uuid,
	"author_id" uuid NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gold_example_status_check" CHECK ("gold_example"."status" in ('draft', 'submitted', 'approved', 'changes_requested', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "gold_review" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"gold_example_id" uuid NOT NULL,
	"revision_id" uuid NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"decision" text NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gold_review_decision_check" CHECK ("gold_review"."decision" in ('approved', 'changes_requested', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "gold_revision" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"gold_example_id" uuid NOT NULL,
	"revision" integer NOT NULL,
	"text" text NOT NULL,
	"author_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gold_revision_positive" CHECK ("gold_revision"."revision" >= 1)
);
--> statement-breakpoint
CREATE TABLE "invite" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"invited_by" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invite_role_check" CHECK ("invite"."role" in ('annotator', 'reviewer', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "job" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 5 NOT NULL,
	"run_after" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_by" text,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"dedupe_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "job_status_check" CHECK ("job"."status" in ('queued', 'running', 'succeeded', 'failed')),
	CONSTRAINT "job_attempts_range" CHECK ("job"."attempts" >= 0 and "job"."max_attempts" >= 1)
);
--> statement-breakpoint
CREATE TABLE "judgment" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_id" uuid NOT NULL,
	"pair_id" uuid NOT NULL,
	"annotator_id" uuid NOT NULL,
	"choice" text NOT NULL,
	"strength" smallint,
	"left_candidate_id" uuid NOT NULL,
	"duration_ms" integer,
	"rationale" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "judgment_choice_check" CHECK ("judgment"."choice" in ('a', 'b', 'tie', 'both_off_persona')),
	CONSTRAINT "judgment_strength_matches_choice" CHECK (("judgment"."choice" in ('a', 'b') and "judgment"."strength" is not null and "judgment"."strength" between 1 and 4) or ("judgment"."choice" in ('tie', 'both_off_persona') and "judgment"."strength" is null)),
	CONSTRAINT "judgment_duration_nonnegative" CHECK ("judgment"."duration_ms" is null or "judgment"."duration_ms" >= 0),
	CONSTRAINT "judgment_rationale_length" CHECK ("judgment"."rationale" is null or char_length("judgment"."rationale") <= 2000)
);
--> statement-breakpoint
CREATE TABLE "lease" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"pair_id" uuid NOT NULL,
	"annotator_id" uuid NOT NULL,
	"left_candidate_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_throttle" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"window_started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "model_version" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"persona_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text DEFAULT 'endpoint' NOT NULL,
	"base_url" text,
	"model" text,
	"api_key_env" text,
	"default_params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'candidate' NOT NULL,
	"training_run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_version_status_check" CHECK ("model_version"."status" in ('candidate', 'current', 'retired')),
	CONSTRAINT "model_version_kind_check" CHECK ("model_version"."kind" in ('endpoint', 'demo_pool')),
	CONSTRAINT "model_version_endpoint_complete" CHECK ("model_version"."kind" <> 'endpoint' or ("model_version"."base_url" is not null and "model_version"."model" is not null))
);
--> statement-breakpoint
CREATE TABLE "pair" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"prompt_id" uuid NOT NULL,
	"candidate_a_id" uuid NOT NULL,
	"candidate_b_id" uuid NOT NULL,
	"overlap" smallint NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"known_answer" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pair_distinct_candidates" CHECK ("pair"."candidate_a_id" <> "pair"."candidate_b_id"),
	CONSTRAINT "pair_overlap_range" CHECK ("pair"."overlap" between 1 and 20),
	CONSTRAINT "pair_known_answer_check" CHECK ("pair"."known_answer" is null or "pair"."known_answer" in ('a', 'b', 'tie', 'both_off_persona'))
);
--> statement-breakpoint
CREATE TABLE "persona" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"style_guide" text NOT NULL,
	"system_prompt" text NOT NULL,
	"default_overlap" smallint DEFAULT 3 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "persona_slug_format" CHECK ("persona"."slug" ~ '^[a-z0-9][a-z0-9-]*$'),
	CONSTRAINT "persona_overlap_range" CHECK ("persona"."default_overlap" between 1 and 20)
);
--> statement-breakpoint
CREATE TABLE "prompt" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"persona_id" uuid NOT NULL,
	"messages" jsonb NOT NULL,
	"domain" text NOT NULL,
	"source" text NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prompt_domain_format" CHECK ("prompt"."domain" ~ '^[a-z][a-z0-9_-]*$'),
	CONSTRAINT "prompt_messages_array" CHECK (jsonb_typeof("prompt"."messages") = 'array' and jsonb_array_length("prompt"."messages") > 0)
);
--> statement-breakpoint
CREATE TABLE "session" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ip" text,
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "storage_event" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dedupe_key" text NOT NULL,
	"event_name" text NOT NULL,
	"bucket" text NOT NULL,
	"object_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"outcome" text NOT NULL,
	"dataset_version_id" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "training_run" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dataset_version_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"parent_run_id" uuid,
	"base_model_version_id" uuid,
	"kfp_run_id" text,
	"state" text NOT NULL,
	"state_history" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request" jsonb,
	"outputs" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "training_run_kind_check" CHECK ("training_run"."kind" in ('reward_model', 'ppo'))
);
--> statement-breakpoint
CREATE TABLE "user" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"disabled_at" timestamp with time zone,
	"password_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_role_check" CHECK ("user"."role" in ('annotator', 'reviewer', 'admin')),
	CONSTRAINT "user_email_normalised" CHECK ("user"."email" = lower(btrim("user"."email")) and "user"."email" like '%_@_%')
);
--> statement-breakpoint
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_actor_id_user_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candidate" ADD CONSTRAINT "candidate_prompt_id_prompt_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompt"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candidate" ADD CONSTRAINT "candidate_model_version_id_model_version_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_version"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset" ADD CONSTRAINT "dataset_persona_id_persona_id_fk" FOREIGN KEY ("persona_id") REFERENCES "public"."persona"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset" ADD CONSTRAINT "dataset_created_by_user_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version" ADD CONSTRAINT "dataset_version_dataset_id_dataset_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."dataset"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version" ADD CONSTRAINT "dataset_version_parent_version_id_dataset_version_id_fk" FOREIGN KEY ("parent_version_id") REFERENCES "public"."dataset_version"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version" ADD CONSTRAINT "dataset_version_created_by_user_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD CONSTRAINT "dataset_version_row_dataset_version_id_dataset_version_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_version"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD CONSTRAINT "dataset_version_row_pair_id_pair_id_fk" FOREIGN KEY ("pair_id") REFERENCES "public"."pair"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD CONSTRAINT "dataset_version_row_gold_example_id_gold_example_id_fk" FOREIGN KEY ("gold_example_id") REFERENCES "public"."gold_example"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD CONSTRAINT "dataset_version_row_prompt_id_prompt_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompt"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD CONSTRAINT "dataset_version_row_judgment_id_judgment_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgment"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_example" ADD CONSTRAINT "gold_example_prompt_id_prompt_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompt"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_example" ADD CONSTRAINT "gold_example_source_candidate_id_candidate_id_fk" FOREIGN KEY ("source_candidate_id") REFERENCES "public"."candidate"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_example" ADD CONSTRAINT "gold_example_author_id_user_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."user"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_review" ADD CONSTRAINT "gold_review_gold_example_id_gold_example_id_fk" FOREIGN KEY ("gold_example_id") REFERENCES "public"."gold_example"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_review" ADD CONSTRAINT "gold_review_revision_id_gold_revision_id_fk" FOREIGN KEY ("revision_id") REFERENCES "public"."gold_revision"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_review" ADD CONSTRAINT "gold_review_reviewer_id_user_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."user"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_revision" ADD CONSTRAINT "gold_revision_gold_example_id_gold_example_id_fk" FOREIGN KEY ("gold_example_id") REFERENCES "public"."gold_example"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gold_revision" ADD CONSTRAINT "gold_revision_author_id_user_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."user"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invite" ADD CONSTRAINT "invite_invited_by_user_id_fk" FOREIGN KEY ("invited_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "judgment" ADD CONSTRAINT "judgment_pair_id_pair_id_fk" FOREIGN KEY ("pair_id") REFERENCES "public"."pair"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "judgment" ADD CONSTRAINT "judgment_annotator_id_user_id_fk" FOREIGN KEY ("annotator_id") REFERENCES "public"."user"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "judgment" ADD CONSTRAINT "judgment_left_candidate_id_candidate_id_fk" FOREIGN KEY ("left_candidate_id") REFERENCES "public"."candidate"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lease" ADD CONSTRAINT "lease_pair_id_pair_id_fk" FOREIGN KEY ("pair_id") REFERENCES "public"."pair"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lease" ADD CONSTRAINT "lease_annotator_id_user_id_fk" FOREIGN KEY ("annotator_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_persona_id_persona_id_fk" FOREIGN KEY ("persona_id") REFERENCES "public"."persona"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_training_run_id_training_run_id_fk" FOREIGN KEY ("training_run_id") REFERENCES "public"."training_run"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pair" ADD CONSTRAINT "pair_prompt_id_prompt_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompt"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pair" ADD CONSTRAINT "pair_candidate_a_id_prompt_id_candidate_id_prompt_id_fk" FOREIGN KEY ("candidate_a_id","prompt_id") REFERENCES "public"."candidate"("id","prompt_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pair" ADD CONSTRAINT "pair_candidate_b_id_prompt_id_candidate_id_prompt_id_fk" FOREIGN KEY ("candidate_b_id","prompt_id") REFERENCES "public"."candidate"("id","prompt_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt" ADD CONSTRAINT "prompt_persona_id_persona_id_fk" FOREIGN KEY ("persona_id") REFERENCES "public"."persona"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session" ADD CONSTRAINT "session_user_id_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "storage_event" ADD CONSTRAINT "storage_event_dataset_version_id_dataset_version_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_version"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_run" ADD CONSTRAINT "training_run_dataset_version_id_dataset_version_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_version"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_run" ADD CONSTRAINT "training_run_parent_run_id_training_run_id_fk" FOREIGN KEY ("parent_run_id") REFERENCES "public"."training_run"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_run" ADD CONSTRAINT "training_run_base_model_version_id_model_version_id_fk" FOREIGN KEY ("base_model_version_id") REFERENCES "public"."model_version"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_event_created_idx" ON "audit_event" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "audit_event_target_idx" ON "audit_event" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "candidate_prompt_idx" ON "candidate" USING btree ("prompt_id");--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_slug_unique" ON "dataset" USING btree ("persona_id","slug");--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_version_number_unique" ON "dataset_version" USING btree ("dataset_id","version");--> statement-breakpoint
CREATE INDEX "gold_example_status_idx" ON "gold_example" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "gold_review_example_idx" ON "gold_review" USING btree ("gold_example_id");--> statement-breakpoint
CREATE UNIQUE INDEX "gold_revision_number_unique" ON "gold_revision" USING btree ("gold_example_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "invite_token_unique" ON "invite" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "invite_email_idx" ON "invite" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "job_dedupe_unique" ON "job" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "job_ready_idx" ON "job" USING btree ("status","run_after");--> statement-breakpoint
CREATE UNIQUE INDEX "judgment_pair_annotator_unique" ON "judgment" USING btree ("pair_id","annotator_id");--> statement-breakpoint
CREATE UNIQUE INDEX "judgment_client_id_unique" ON "judgment" USING btree ("client_id");--> statement-breakpoint
CREATE INDEX "judgment_annotator_idx" ON "judgment" USING btree ("annotator_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "lease_pair_annotator_unique" ON "lease" USING btree ("pair_id","annotator_id");--> statement-breakpoint
CREATE INDEX "lease_expiry_idx" ON "lease" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "model_version_name_unique" ON "model_version" USING btree ("persona_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "model_version_one_current" ON "model_version" USING btree ("persona_id") WHERE "model_version"."status" = 'current';--> statement-breakpoint
CREATE UNIQUE INDEX "pair_candidates_unique" ON "pair" USING btree ("candidate_a_id","candidate_b_id");--> statement-breakpoint
CREATE INDEX "pair_prompt_idx" ON "pair" USING btree ("prompt_id");--> statement-breakpoint
CREATE UNIQUE INDEX "persona_slug_unique" ON "persona" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "prompt_content_unique" ON "prompt" USING btree ("persona_id","content_hash");--> statement-breakpoint
CREATE INDEX "prompt_domain_idx" ON "prompt" USING btree ("persona_id","domain");--> statement-breakpoint
CREATE INDEX "session_user_idx" ON "session" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "storage_event_dedupe_unique" ON "storage_event" USING btree ("dedupe_key");--> statement-breakpoint
CREATE UNIQUE INDEX "training_run_kfp_unique" ON "training_run" USING btree ("kfp_run_id");--> statement-breakpoint
CREATE INDEX "training_run_version_idx" ON "training_run" USING btree ("dataset_version_id");--> statement-breakpoint
CREATE UNIQUE INDEX "user_email_unique" ON "user" USING btree ("email");