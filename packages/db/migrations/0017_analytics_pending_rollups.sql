CREATE TABLE "analytics"."rollup_hour_visitors" (
	"site_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"visitor_id" bigint NOT NULL,
	CONSTRAINT "rollup_hour_visitors_site_id_hour_visitor_id_pk" PRIMARY KEY("site_id","hour","visitor_id")
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_pending_events" (
	"site_id" uuid NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"visitor_id" bigint,
	"pathname" text,
	"events" integer NOT NULL,
	"pageviews" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_pending_visits" (
	"site_id" uuid NOT NULL,
	"visit_start" timestamp with time zone NOT NULL,
	"visitor_id" bigint NOT NULL,
	"events" integer NOT NULL,
	"last_ts" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollup_visits" (
	"site_id" uuid NOT NULL,
	"visit_start" timestamp with time zone NOT NULL,
	"visitor_id" bigint NOT NULL,
	"events" integer NOT NULL,
	"last_ts" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_visits_site_id_visit_start_visitor_id_pk" PRIMARY KEY("site_id","visit_start","visitor_id")
);
--> statement-breakpoint
-- What each statement storing events adds to the rollups, grouped (per second, visitor and page; per visit), for the rollup pass to add
-- instead of reading its hours' events again. Per visit only the events from the hour it began on, as a recount of the hour reads them.
-- JIT off: the transition table's size is unknown to the planner, and compiling cost more than running (as in the rollup pass).
CREATE FUNCTION "analytics"."pend_rollups"() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  INSERT INTO "analytics"."rollup_pending_events" ("site_id", "ts", "visitor_id", "pathname", "events", "pageviews")
  SELECT "site_id", date_trunc('second', "ts", 'UTC'), "visitor_id", CASE WHEN "name" = 'pageview' THEN "pathname" END,
    count(*), count(*) FILTER (WHERE "name" = 'pageview')
  FROM "stored" WHERE "site_id" IS NOT NULL GROUP BY 1, 2, 3, 4;
  INSERT INTO "analytics"."rollup_pending_visits" ("site_id", "visit_start", "visitor_id", "events", "last_ts")
  SELECT "site_id", "visit_start", "visitor_id", count(*), max("ts")
  FROM "stored"
  WHERE "site_id" IS NOT NULL AND "visitor_id" IS NOT NULL AND "visit_start" IS NOT NULL AND "ts" >= date_trunc('hour', "visit_start", 'UTC')
  GROUP BY 1, 2, 3;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "events_pend_rollups" AFTER INSERT ON "analytics"."events" REFERENCING NEW TABLE AS "stored" FOR EACH STATEMENT EXECUTE FUNCTION "analytics"."pend_rollups"();
--> statement-breakpoint
-- The hour visitor sets and the visits start empty: every hour holding a site's events or their visits' beginnings is marked for a rescan,
-- so the rollup job rebuilds their days once.
INSERT INTO "analytics"."rollup_dirty" ("site_id", "hour", "rescan")
SELECT DISTINCT "site_id", date_trunc('hour', "touched"."at", 'UTC'), true
FROM "analytics"."events" CROSS JOIN LATERAL (VALUES ("ts"), ("visit_start")) AS "touched"("at")
WHERE "site_id" IS NOT NULL AND "touched"."at" IS NOT NULL
ON CONFLICT ("site_id", "hour") DO UPDATE SET "version" = "analytics"."rollup_dirty"."version" + 1, "rescan" = true;
