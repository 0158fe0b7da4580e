ALTER TABLE "dataset_version_row" DROP CONSTRAINT "dataset_version_row_pair_id_pair_id_fk";
--> statement-breakpoint
ALTER TABLE "dataset_version_row" DROP CONSTRAINT "dataset_version_row_gold_example_id_gold_example_id_fk";
--> statement-breakpoint
ALTER TABLE "dataset_version_row" DROP CONSTRAINT "dataset_version_row_prompt_id_prompt_id_fk";
--> statement-breakpoint
ALTER TABLE "dataset_version_row" DROP CONSTRAINT "dataset_version_row_judgment_id_judgment_id_fk";
--> statement-breakpoint
ALTER TABLE "dataset" ADD COLUMN "description" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "dataset" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "dataset_version" ADD COLUMN "job_id" uuid;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "chosen_candidate_id" uuid;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "rejected_candidate_id" uuid;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "gold_revision_id" uuid;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "margin" double precision;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "votes_for" smallint;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD COLUMN "votes_total" smallint;--> statement-breakpoint
ALTER TABLE "dataset_version" ADD CONSTRAINT "dataset_version_job_id_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."job"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_version_row" ADD CONSTRAINT "dataset_row_source_check" CHECK ("dataset_version_row"."source" is null or "dataset_version_row"."source" in ('judgment', 'gold_edit'));--> statement-breakpoint
-- An approved gold example and the revision a reviewer approved last: SFT rows are these, and
-- gold-edit preferences are those of them edited from a model's reply.
CREATE VIEW "gold_approved" AS
SELECT g.id AS gold_example_id, p.persona_id, g.prompt_id, g.source_candidate_id, g.author_id,
	rev.id AS gold_revision_id, rev.text, review.created_at AS approved_at
FROM gold_example g
JOIN LATERAL (
	SELECT r.revision_id, r.created_at FROM gold_review r
	WHERE r.gold_example_id = g.id AND r.decision = 'approved' ORDER BY r.created_at DESC LIMIT 1
) review ON true
JOIN gold_revision rev ON rev.id = review.revision_id
JOIN prompt p ON p.id = g.prompt_id
WHERE g.status = 'approved';--> statement-breakpoint
-- Datasets freeze the approved revision and leave out excluded authors: the view names both.
-- New columns go at the end, as CREATE OR REPLACE VIEW requires.
CREATE OR REPLACE VIEW "gold_preference" AS
SELECT a.gold_example_id, a.persona_id, a.prompt_id, p.messages AS prompt_messages,
	a.text AS chosen, c.text AS rejected, c.id AS rejected_candidate_id, c.model_version_id AS rejected_model_version_id,
	'gold_edit'::text AS source, a.approved_at, a.gold_revision_id, a.author_id
FROM gold_approved a
JOIN candidate c ON c.id = a.source_candidate_id
JOIN prompt p ON p.id = a.prompt_id
WHERE a.text <> c.text;
