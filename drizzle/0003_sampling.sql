CREATE TABLE "sampling_item" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_id" uuid NOT NULL,
	"prompt_id" uuid NOT NULL,
	"slot" text NOT NULL,
	"model_version_id" uuid NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"candidate_id" uuid,
	"locked_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sampling_item_status_check" CHECK ("sampling_item"."status" in ('queued', 'running', 'done', 'failed')),
	CONSTRAINT "sampling_item_attempts_nonnegative" CHECK ("sampling_item"."attempts" >= 0)
);
--> statement-breakpoint
ALTER TABLE "job" DROP CONSTRAINT "job_status_check";--> statement-breakpoint
ALTER TABLE "job" ADD COLUMN "persona_id" uuid;--> statement-breakpoint
ALTER TABLE "job" ADD COLUMN "created_by" uuid;--> statement-breakpoint
ALTER TABLE "job" ADD COLUMN "progress" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "job" ADD COLUMN "cancel_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "prompt" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "prompt" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "sampling_item" ADD CONSTRAINT "sampling_item_job_id_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."job"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sampling_item" ADD CONSTRAINT "sampling_item_prompt_id_prompt_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompt"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sampling_item" ADD CONSTRAINT "sampling_item_model_version_id_model_version_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_version"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sampling_item" ADD CONSTRAINT "sampling_item_candidate_id_candidate_id_fk" FOREIGN KEY ("candidate_id") REFERENCES "public"."candidate"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sampling_item_slot_unique" ON "sampling_item" USING btree ("job_id","prompt_id","slot");--> statement-breakpoint
CREATE INDEX "sampling_item_job_status_idx" ON "sampling_item" USING btree ("job_id","status");--> statement-breakpoint
ALTER TABLE "job" ADD CONSTRAINT "job_persona_id_persona_id_fk" FOREIGN KEY ("persona_id") REFERENCES "public"."persona"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job" ADD CONSTRAINT "job_created_by_user_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "prompt_external_id_unique" ON "prompt" USING btree ("persona_id","external_id") WHERE "prompt"."external_id" is not null;--> statement-breakpoint
ALTER TABLE "job" ADD CONSTRAINT "job_status_check" CHECK ("job"."status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled'));