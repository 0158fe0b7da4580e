CREATE SEQUENCE "public"."webhook_rejection_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "webhook_rejection_count" (
	"hour" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "webhook_rejection_count_hour_reason_pk" PRIMARY KEY("hour","reason"),
	CONSTRAINT "webhook_rejection_count_reason_check" CHECK ("webhook_rejection_count"."reason" in ('rate_limited', 'no_token', 'wrong_token', 'too_large', 'not_an_event'))
);
--> statement-breakpoint
CREATE TABLE "webhook_rejection_sample" (
	"slot" smallint PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"remote_address" text,
	"bytes" bigint,
	"detail" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_rejection_sample_slot_check" CHECK ("webhook_rejection_sample"."slot" >= 0 and "webhook_rejection_sample"."slot" < 50),
	CONSTRAINT "webhook_rejection_sample_reason_check" CHECK ("webhook_rejection_sample"."reason" in ('rate_limited', 'no_token', 'wrong_token', 'too_large', 'not_an_event'))
);
--> statement-breakpoint
CREATE INDEX "webhook_rejection_sample_received_idx" ON "webhook_rejection_sample" USING btree ("received_at");