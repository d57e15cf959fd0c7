ALTER TABLE "auth"."refresh_tokens" ADD COLUMN "sealed" text;--> statement-breakpoint
-- A session's sign-in time is when it was opened (sessions were only opened by a password until now).
ALTER TABLE "auth"."sessions" ADD COLUMN "auth_time" timestamp with time zone;--> statement-breakpoint
UPDATE "auth"."sessions" SET "auth_time" = "created_at";--> statement-breakpoint
ALTER TABLE "auth"."sessions" ALTER COLUMN "auth_time" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "file"."files" ADD COLUMN "published_by" text;--> statement-breakpoint
-- Chains forked by the old grace window: keep each session's newest live token, spend the others.
UPDATE "auth"."refresh_tokens" AS "t" SET "spent_at" = now() WHERE "t"."spent_at" IS NULL AND EXISTS (SELECT 1 FROM "auth"."refresh_tokens" AS "n" WHERE "n"."session_id" = "t"."session_id" AND "n"."spent_at" IS NULL AND "n"."id" > "t"."id");--> statement-breakpoint
CREATE UNIQUE INDEX "refresh_tokens_live_key" ON "auth"."refresh_tokens" USING btree ("session_id") WHERE "auth"."refresh_tokens"."spent_at" is null;
