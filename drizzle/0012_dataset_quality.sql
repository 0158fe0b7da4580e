ALTER TABLE "dataset_version" ADD COLUMN "manifest_sha256" text;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "known_answer" text;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD CONSTRAINT "dataset_row_known_answer_check" CHECK ("dataset_version_row"."known_answer" is null or "dataset_version_row"."known_answer" in ('a', 'b', 'tie', 'both_off_persona'));