ALTER TABLE "notification"."reminders" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "notification"."reminders" ADD COLUMN "request_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "reminders_user_idempotency_idx" ON "notification"."reminders" USING btree ("user_id","idempotency_key");