CREATE TABLE "analytics"."rollup_pending" (
	"site_id" uuid NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"visitor_id" bigint,
	"visit_start" timestamp with time zone,
	"pathname" text,
	"events" integer NOT NULL,
	"pageviews" integer NOT NULL,
	"visit_events" integer NOT NULL,
	"last_ts" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- One row per second, visitor, visit and page for both parts (the hour's and the visit's): one aggregation and one insert a statement.
-- Per visit only the events from the hour it began on, as a recount of the hour reads them (the same for a whole group: an hour starts on a second).
CREATE OR REPLACE FUNCTION "analytics"."pend_rollups"() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  INSERT INTO "analytics"."rollup_pending" ("site_id", "ts", "visitor_id", "visit_start", "pathname", "events", "pageviews", "visit_events", "last_ts")
  SELECT "site_id", date_trunc('second', "ts", 'UTC'), "visitor_id", "visit_start", CASE WHEN "name" = 'pageview' THEN "pathname" END,
    count(*), count(*) FILTER (WHERE "name" = 'pageview'),
    count(*) FILTER (WHERE "visitor_id" IS NOT NULL AND "visit_start" IS NOT NULL AND "ts" >= date_trunc('hour', "visit_start", 'UTC')), max("ts")
  FROM "stored" WHERE "site_id" IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- The rows waiting in the two tables of before, each part as a row of its own (a visit's under its first hour, which its writer marked).
INSERT INTO "analytics"."rollup_pending" ("site_id", "ts", "visitor_id", "visit_start", "pathname", "events", "pageviews", "visit_events", "last_ts")
SELECT "site_id", "ts", "visitor_id", NULL, "pathname", "events", "pageviews", 0, "ts" FROM "analytics"."rollup_pending_events"
UNION ALL
SELECT "site_id", "visit_start", "visitor_id", "visit_start", NULL, 0, 0, "events", "last_ts" FROM "analytics"."rollup_pending_visits";
--> statement-breakpoint
DROP TABLE "analytics"."rollup_pending_events" CASCADE;--> statement-breakpoint
DROP TABLE "analytics"."rollup_pending_visits" CASCADE;
