CREATE TABLE "notification"."category_preferences" (
	"user_id" uuid NOT NULL,
	"category" text NOT NULL,
	"channel" text NOT NULL,
	"enabled" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "category_preferences_user_id_category_channel_pk" PRIMARY KEY("user_id","category","channel")
);
--> statement-breakpoint
CREATE TABLE "notification"."digests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"sent_at" timestamp with time zone,
	"message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "notification"."deliveries" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notification"."deliveries" ADD COLUMN "digest_id" uuid;--> statement-breakpoint
ALTER TABLE "notification"."recipients" ADD COLUMN "settings" jsonb;--> statement-breakpoint
CREATE INDEX "digests_user_idx" ON "notification"."digests" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "notification"."deliveries" ADD CONSTRAINT "deliveries_digest_id_digests_id_fk" FOREIGN KEY ("digest_id") REFERENCES "notification"."digests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deliveries_held_idx" ON "notification"."deliveries" USING btree ("due_at") WHERE status = 'held';--> statement-breakpoint
CREATE INDEX "deliveries_pending_idx" ON "notification"."deliveries" USING btree ("created_at") WHERE status = 'pending';