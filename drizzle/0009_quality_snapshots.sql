CREATE TABLE "quality_annotator" (
	"snapshot_id" uuid NOT NULL,
	"annotator_id" uuid NOT NULL,
	"votes" integer NOT NULL,
	"shared_pairs" integer NOT NULL,
	"agreements" integer NOT NULL,
	"agreement" double precision,
	"agreement_low" double precision,
	"agreement_high" double precision,
	"check_answers" integer NOT NULL,
	"check_correct" integer NOT NULL,
	"check_accuracy" double precision,
	"check_low" double precision,
	"check_high" double precision,
	"ab_votes" integer NOT NULL,
	"left_picks" integer NOT NULL,
	"left_share" double precision,
	"left_p_value" double precision,
	"median_ms" integer,
	"fast_votes" integer NOT NULL,
	"longest_run" integer NOT NULL,
	"tie_rate" double precision,
	"off_rate" double precision,
	"strength_mode_share" double precision,
	"flags" text[] DEFAULT '{}'::text[] NOT NULL,
	CONSTRAINT "quality_annotator_snapshot_id_annotator_id_pk" PRIMARY KEY("snapshot_id","annotator_id")
);
--> statement-breakpoint
CREATE TABLE "quality_snapshot" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"persona_id" uuid NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"judgments" integer NOT NULL,
	"last_judgment_at" timestamp with time zone,
	"settings" jsonb NOT NULL,
	"figures" jsonb NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "persona" ADD COLUMN "quality_settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "quality_annotator" ADD CONSTRAINT "quality_annotator_snapshot_id_quality_snapshot_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."quality_snapshot"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_annotator" ADD CONSTRAINT "quality_annotator_annotator_id_user_id_fk" FOREIGN KEY ("annotator_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_snapshot" ADD CONSTRAINT "quality_snapshot_persona_id_persona_id_fk" FOREIGN KEY ("persona_id") REFERENCES "public"."persona"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "quality_annotator_user_idx" ON "quality_annotator" USING btree ("annotator_id");--> statement-breakpoint
CREATE INDEX "quality_snapshot_persona_idx" ON "quality_snapshot" USING btree ("persona_id","computed_at" DESC NULLS LAST);