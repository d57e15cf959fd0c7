import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { sql } from "drizzle-orm";
import { partitionsJob } from "../src/jobs/partitions";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  // Two months kept (the current one and the one before), three created ahead; the job is run by hand.
  t = await startTestAnalytics({ jobs: false, env: { ANALYTICS_RETENTION_MONTHS: "2", ANALYTICS_PARTITIONS_AHEAD: "3" } });
});
afterAll(() => t.close());

const partitions = async () =>
  (
    await queryRows<{ name: string }>(
      t.db,
      sql`select child.relname as name from pg_inherits join pg_class child on child.oid = inhrelid join pg_class parent on parent.oid = inhparent
          where parent.relname = 'events' order by 1`,
    )
  ).map(({ name }) => name);

const runJob = () => partitionsJob(t.deps).process({} as never, { deps: t.deps, logger: t.deps.logger, requestId: undefined });

describe("the partitions job", () => {
  test("creates the months ahead and drops those past retention with their rollups and dirty marks", async () => {
    const site = Bun.randomUUIDv7();
    for (const at of ["2026-03-20T12:00:00Z", "2026-04-02T12:00:00Z"]) {
      // With a visitor and a visit: the trigger writes what the rollup job has yet to add (rollup_pending).
      await t.db.execute(
        sql`insert into analytics.events (id, ts, site_id, name, visitor_id, visit_start) values (${Bun.randomUUIDv7()}, ${at}, ${site}, 'pageview', 1, ${at})`,
      );
      await t.db.execute(sql`insert into analytics.rollup_hours values (${site}, ${at}, 1, 1, 1, 0, 1, 1)`);
      await t.db.execute(sql`insert into analytics.rollup_dirty (site_id, hour) values (${site}, ${at})`);
      await t.db.execute(sql`insert into analytics.rollup_days values (${site}, ${at.slice(0, 10)}, 1)`);
      await t.db.execute(sql`insert into analytics.rollup_pages values (${site}, ${at.slice(0, 10)}, '/', 1, 1)`);
      await t.db.execute(sql`insert into analytics.rollup_hour_pages values (${site}, ${at}, ${at.slice(0, 10)}, '/', 1)`);
      await t.db.execute(sql`insert into analytics.rollup_day_visitors values (${site}, ${at.slice(0, 10)}, 1)`);
      await t.db.execute(sql`insert into analytics.rollup_page_visitors values (${site}, ${at.slice(0, 10)}, '/', 1)`);
      await t.db.execute(sql`insert into analytics.rollup_hour_visitors values (${site}, ${at}, 1)`);
      await t.db.execute(sql`insert into analytics.rollup_visits values (${site}, ${at}, 1, 1, ${at})`);
    }
    t.clock.set("2026-05-15T08:00:00Z");
    expect(await runJob()).toEqual({ dropped: ["events_2026_02", "events_2026_03"] });
    expect(await partitions()).toEqual(["events_2026_04", "events_2026_05", "events_2026_06", "events_2026_07", "events_2026_08"]);
    const left = await queryRows<{ source: string; at: string }>(
      t.db,
      sql`select 'events' as source, ts::date::text as at from analytics.events
          union all select 'hours', hour::date::text from analytics.rollup_hours
          union all select 'dirty', hour::date::text from analytics.rollup_dirty
          union all select 'days', day::text from analytics.rollup_days
          union all select 'pages', day::text from analytics.rollup_pages
          union all select 'hour pages', hour::date::text from analytics.rollup_hour_pages
          union all select 'day visitors', day::text from analytics.rollup_day_visitors
          union all select 'page visitors', day::text from analytics.rollup_page_visitors
          union all select 'hour visitors', hour::date::text from analytics.rollup_hour_visitors
          union all select 'visits', visit_start::date::text from analytics.rollup_visits
          union all select 'pending', ts::date::text from analytics.rollup_pending order by 1`,
    );
    expect(left).toEqual(
      ["day visitors", "days", "dirty", "events", "hour pages", "hour visitors", "hours", "page visitors", "pages", "pending", "visits"].map((source) => ({
        source,
        at: "2026-04-02",
      })),
    );
    // Run again: nothing more to do.
    expect(await runJob()).toEqual({ dropped: [] });
  });
});
