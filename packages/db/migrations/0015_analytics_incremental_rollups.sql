CREATE TABLE "analytics"."rollup_day_visitors" (
	"site_id" uuid NOT NULL,
	"day" date NOT NULL,
	"visitor_id" bigint NOT NULL,
	CONSTRAINT "rollup_day_visitors_site_id_day_visitor_id_pk" PRIMARY KEY("site_id","day","visitor_id")
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_hour_pages" (
	"site_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"day" date NOT NULL,
	"pathname" text NOT NULL,
	"pageviews" integer NOT NULL,
	CONSTRAINT "rollup_hour_pages_site_id_hour_day_pathname_pk" PRIMARY KEY("site_id","hour","day","pathname")
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_page_visitors" (
	"site_id" uuid NOT NULL,
	"day" date NOT NULL,
	"pathname" text NOT NULL,
	"visitor_id" bigint NOT NULL,
	CONSTRAINT "rollup_page_visitors_site_id_day_pathname_visitor_id_pk" PRIMARY KEY("site_id","day","pathname","visitor_id")
);
--> statement-breakpoint
ALTER TABLE "analytics"."rollup_dirty" ADD COLUMN "rescan" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- The visitor sets and hour pages start empty: every hour holding a site's events is marked for a rescan, so the rollup job rebuilds their days once (oldest first, in the background).
INSERT INTO "analytics"."rollup_dirty" ("site_id", "hour", "rescan")
SELECT DISTINCT "site_id", date_trunc('hour', "ts", 'UTC'), true FROM "analytics"."events" WHERE "site_id" IS NOT NULL
ON CONFLICT ("site_id", "hour") DO UPDATE SET "version" = "analytics"."rollup_dirty"."version" + 1, "rescan" = true;
