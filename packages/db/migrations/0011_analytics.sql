CREATE SCHEMA "analytics";
--> statement-breakpoint
CREATE TABLE "analytics"."outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analytics"."events" (
	"id" uuid NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"site_id" uuid,
	"user_id" uuid,
	"name" text NOT NULL,
	"visitor_id" bigint,
	"visit_start" timestamp with time zone,
	"hostname" text,
	"pathname" text,
	"referrer" text,
	"source" text,
	"utm_medium" text,
	"utm_campaign" text,
	"utm_content" text,
	"utm_term" text,
	"browser" text,
	"os" text,
	"device" text,
	"screen_width" smallint,
	"props" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "events_id_ts_pk" PRIMARY KEY("id","ts")
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_days" (
	"site_id" uuid NOT NULL,
	"day" date NOT NULL,
	"visitors" integer NOT NULL,
	CONSTRAINT "rollup_days_site_id_day_pk" PRIMARY KEY("site_id","day")
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_dirty" (
	"site_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "rollup_dirty_site_id_hour_pk" PRIMARY KEY("site_id","hour")
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_hours" (
	"site_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"visitors" integer NOT NULL,
	"visits" integer NOT NULL,
	"bounces" integer NOT NULL,
	"duration_seconds" bigint NOT NULL,
	"pageviews" integer NOT NULL,
	"events" integer NOT NULL,
	CONSTRAINT "rollup_hours_site_id_hour_pk" PRIMARY KEY("site_id","hour")
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_pages" (
	"site_id" uuid NOT NULL,
	"day" date NOT NULL,
	"pathname" text NOT NULL,
	"visitors" integer NOT NULL,
	"pageviews" integer NOT NULL,
	CONSTRAINT "rollup_pages_site_id_day_pathname_pk" PRIMARY KEY("site_id","day","pathname")
);
--> statement-breakpoint
CREATE TABLE "analytics"."site_shares" (
	"id" uuid PRIMARY KEY NOT NULL,
	"site_id" uuid NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "analytics"."sites" (
	"id" uuid PRIMARY KEY NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"site_key" text NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"owner_id" uuid,
	"extra_origins" text[] DEFAULT '{}'::text[] NOT NULL,
	"excluded_paths" text[] DEFAULT '{}'::text[] NOT NULL,
	"excluded_ips" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "analytics"."site_shares" ADD CONSTRAINT "site_shares_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "analytics"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_site_ts_idx" ON "analytics"."events" USING btree ("site_id","ts");--> statement-breakpoint
CREATE INDEX "events_site_visit_idx" ON "analytics"."events" USING btree ("site_id","visit_start");--> statement-breakpoint
CREATE INDEX "events_user_ts_idx" ON "analytics"."events" USING btree ("user_id","ts") WHERE "analytics"."events"."user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "site_shares_token_idx" ON "analytics"."site_shares" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "site_shares_site_idx" ON "analytics"."site_shares" USING btree ("site_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sites_domain_idx" ON "analytics"."sites" USING btree ("domain");--> statement-breakpoint
CREATE UNIQUE INDEX "sites_site_key_idx" ON "analytics"."sites" USING btree ("site_key");