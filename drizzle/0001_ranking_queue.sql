-- Ranking queue: the pair carries its persona and its hand counts, so the
-- hand-out is one index walk over open pairs. Written to run on a database
-- that already holds pairs, judgments and leases (backfilled below).
CREATE TABLE "pair_skip" (
	"pair_id" uuid NOT NULL,
	"annotator_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pair_skip_annotator_id_pair_id_pk" PRIMARY KEY("annotator_id","pair_id")
);
--> statement-breakpoint
ALTER TABLE "pair_skip" ADD CONSTRAINT "pair_skip_pair_id_pair_id_fk" FOREIGN KEY ("pair_id") REFERENCES "public"."pair"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pair_skip" ADD CONSTRAINT "pair_skip_annotator_id_user_id_fk" FOREIGN KEY ("annotator_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt" ADD CONSTRAINT "prompt_id_persona_unique" UNIQUE("id","persona_id");--> statement-breakpoint
ALTER TABLE "pair" ADD COLUMN "persona_id" uuid;--> statement-breakpoint
UPDATE "pair" SET "persona_id" = "prompt"."persona_id" FROM "prompt" WHERE "prompt"."id" = "pair"."prompt_id";--> statement-breakpoint
ALTER TABLE "pair" ALTER COLUMN "persona_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "pair" DROP CONSTRAINT "pair_prompt_id_prompt_id_fk";--> statement-breakpoint
ALTER TABLE "pair" ADD CONSTRAINT "pair_prompt_id_persona_id_prompt_id_persona_id_fk" FOREIGN KEY ("prompt_id","persona_id") REFERENCES "public"."prompt"("id","persona_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pair" ADD COLUMN "judgment_count" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "pair" ADD COLUMN "lease_count" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "pair" SET
	"judgment_count" = (SELECT count(*) FROM "judgment" WHERE "judgment"."pair_id" = "pair"."id"),
	"lease_count" = (SELECT count(*) FROM "lease" WHERE "lease"."pair_id" = "pair"."id");--> statement-breakpoint
ALTER TABLE "pair" ADD CONSTRAINT "pair_counts_within_overlap" CHECK ("pair"."judgment_count" >= 0 and "pair"."lease_count" >= 0 and "pair"."judgment_count" + "pair"."lease_count" <= "pair"."overlap");--> statement-breakpoint
CREATE INDEX "lease_annotator_idx" ON "lease" USING btree ("annotator_id","created_at");--> statement-breakpoint
CREATE INDEX "pair_open_idx" ON "pair" USING btree ("persona_id","priority" DESC NULLS LAST,"created_at","id") WHERE "pair"."judgment_count" + "pair"."lease_count" < "pair"."overlap";
