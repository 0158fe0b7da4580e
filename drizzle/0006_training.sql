DROP INDEX "storage_event_dedupe_unique";--> statement-breakpoint
ALTER TABLE "storage_event" ALTER COLUMN "dedupe_key" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "storage_event" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "storage_event" ADD COLUMN "remote_address" text;--> statement-breakpoint
ALTER TABLE "training_run" ADD COLUMN "chain_key" text NOT NULL;--> statement-breakpoint
ALTER TABLE "training_run" ADD COLUMN "experiment_id" text;--> statement-breakpoint
ALTER TABLE "training_run" ADD COLUMN "submitted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "training_run" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "storage_event_dedupe_idx" ON "storage_event" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "storage_event_received_idx" ON "storage_event" USING btree ("received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "training_run_chain_kind_unique" ON "training_run" USING btree ("chain_key","kind");--> statement-breakpoint
ALTER TABLE "storage_event" ADD CONSTRAINT "storage_event_outcome_check" CHECK ("storage_event"."outcome" in ('accepted', 'duplicate', 'ignored', 'rejected'));