CREATE SCHEMA "ai";
--> statement-breakpoint
CREATE TABLE "ai"."outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ai"."api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ai"."jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"key_id" uuid,
	"client_id" text,
	"kind" text NOT NULL,
	"request" jsonb NOT NULL,
	"status" text NOT NULL,
	"result" jsonb,
	"error" jsonb,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ai"."usage" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"key_id" uuid,
	"client_id" text,
	"kind" text NOT NULL,
	"model" text NOT NULL,
	"provider" text,
	"deployment" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cached_tokens" integer DEFAULT 0 NOT NULL,
	"tokens_from" text NOT NULL,
	"cost_usd" numeric(16, 9) DEFAULT 0 NOT NULL,
	"stream" boolean DEFAULT false NOT NULL,
	"cached" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"http_status" integer NOT NULL,
	"latency_ms" integer NOT NULL,
	"first_token_ms" integer,
	"request_id" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ai"."user_limits" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"rpm" integer,
	"tpm" integer,
	"concurrency" integer,
	"daily_budget_usd" numeric(14, 6),
	"monthly_budget_usd" numeric(14, 6),
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_idx" ON "ai"."api_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "api_keys_user_idx" ON "ai"."api_keys" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "jobs_user_idx" ON "ai"."jobs" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_user_idx" ON "ai"."usage" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_created_idx" ON "ai"."usage" USING btree ("created_at");