CREATE TABLE "evaluation_round" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"persona_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"source" text NOT NULL,
	"candidate_model_version_id" uuid,
	"baseline_model_version_id" uuid,
	"prompt_source" text NOT NULL,
	"dataset_version_id" uuid,
	"prompts_requested" integer DEFAULT 0 NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"overlap" smallint DEFAULT 1 NOT NULL,
	"temperature" double precision,
	"sampling_job_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "evaluation_round_source_check" CHECK ("evaluation_round"."source" in ('admin', 'chain', 'arena')),
	CONSTRAINT "evaluation_round_prompt_source_check" CHECK ("evaluation_round"."prompt_source" in ('test_split', 'prompts', 'arena')),
	CONSTRAINT "evaluation_round_overlap_range" CHECK ("evaluation_round"."overlap" between 1 and 20),
	CONSTRAINT "evaluation_round_prompts_nonnegative" CHECK ("evaluation_round"."prompts_requested" >= 0)
);
--> statement-breakpoint
CREATE TABLE "evaluation_round_model" (
	"round_id" uuid NOT NULL,
	"model_version_id" uuid NOT NULL,
	CONSTRAINT "evaluation_round_model_round_id_model_version_id_pk" PRIMARY KEY("round_id","model_version_id")
);
--> statement-breakpoint
ALTER TABLE "pair" ADD COLUMN "evaluation_round_id" uuid;--> statement-breakpoint
ALTER TABLE "persona" ADD COLUMN "evaluation_settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "training_run" ADD COLUMN "metrics" jsonb;--> statement-breakpoint
ALTER TABLE "user" ADD COLUMN "arena_access" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "evaluation_round" ADD CONSTRAINT "evaluation_round_persona_id_persona_id_fk" FOREIGN KEY ("persona_id") REFERENCES "public"."persona"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_round" ADD CONSTRAINT "evaluation_round_candidate_model_version_id_model_version_id_fk" FOREIGN KEY ("candidate_model_version_id") REFERENCES "public"."model_version"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_round" ADD CONSTRAINT "evaluation_round_baseline_model_version_id_model_version_id_fk" FOREIGN KEY ("baseline_model_version_id") REFERENCES "public"."model_version"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_round" ADD CONSTRAINT "evaluation_round_dataset_version_id_dataset_version_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_version"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_round" ADD CONSTRAINT "evaluation_round_sampling_job_id_job_id_fk" FOREIGN KEY ("sampling_job_id") REFERENCES "public"."job"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_round" ADD CONSTRAINT "evaluation_round_created_by_user_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_round_model" ADD CONSTRAINT "evaluation_round_model_round_id_evaluation_round_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."evaluation_round"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_round_model" ADD CONSTRAINT "evaluation_round_model_model_version_id_model_version_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_version"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "evaluation_round_number_unique" ON "evaluation_round" USING btree ("persona_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "evaluation_round_chain_unique" ON "evaluation_round" USING btree ("candidate_model_version_id") WHERE "evaluation_round"."source" = 'chain';--> statement-breakpoint
CREATE INDEX "evaluation_round_persona_idx" ON "evaluation_round" USING btree ("persona_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "evaluation_round_model_model_idx" ON "evaluation_round_model" USING btree ("model_version_id");--> statement-breakpoint
ALTER TABLE "pair" ADD CONSTRAINT "pair_evaluation_round_id_evaluation_round_id_fk" FOREIGN KEY ("evaluation_round_id") REFERENCES "public"."evaluation_round"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pair_evaluation_round_idx" ON "pair" USING btree ("evaluation_round_id") WHERE "pair"."evaluation_round_id" is not null;