CREATE TABLE "notification"."erased_users" (
	"user_key" text PRIMARY KEY NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "notification"."recipients" ADD COLUMN "preferences_version" integer;