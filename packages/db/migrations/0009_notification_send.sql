CREATE TABLE "notification"."reminders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"text" text NOT NULL,
	"repeat" text,
	"starts_at" text NOT NULL,
	"time_zone" text NOT NULL,
	"channels" text[],
	"next_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification"."scheduled_sends" (
	"id" uuid PRIMARY KEY NOT NULL,
	"caller" text NOT NULL,
	"user_ids" uuid[] NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"channels" text[],
	"send_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification"."send_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"caller" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "reminders_user_idx" ON "notification"."reminders" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "reminders_next_idx" ON "notification"."reminders" USING btree ("next_at");--> statement-breakpoint
CREATE INDEX "scheduled_sends_due_idx" ON "notification"."scheduled_sends" USING btree ("status","send_at");--> statement-breakpoint
CREATE UNIQUE INDEX "send_requests_caller_key_idx" ON "notification"."send_requests" USING btree ("caller","key");--> statement-breakpoint
CREATE INDEX "send_requests_expires_idx" ON "notification"."send_requests" USING btree ("expires_at");