import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { sql } from "drizzle-orm";
import { type EventRow, insertEventRows } from "../src/helpers/event-row";
import { webEvent } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  // No rollup job: these tests look at the dirty marks it would clear.
  t = await startTestAnalytics({ jobs: false });
});
afterAll(() => t.close());

/** A pageview whose visit began in the hour before (both hours are marked dirty). */
const row = (overrides: Partial<EventRow>): EventRow =>
  webEvent("0195a0b0-0000-7000-8000-000000000001", "2026-03-10T09:30:00.000Z", {
    visitor_id: "-9223372036854775807",
    visit_start: "2026-03-10T08:55:00.000Z",
    props: { plan: "pro" },
    ...overrides,
  });

describe("the analytics service", () => {
  test("starts, is ready and serves its OpenAPI document", async () => {
    expect((await t.call("GET", "/ready")).status).toBe(200);
    const document = await t.call("GET", "/analytics/openapi.json");
    expect(document.status).toBe(200);
    expect(document.json.info.title).toBe("Lodge analytics");
  });

  test("boot creates the monthly partitions from last month to the ones ahead", async () => {
    const names = await queryRows<{ name: string }>(
      t.db,
      sql`select child.relname as name from pg_inherits join pg_class child on child.oid = inhrelid join pg_class parent on parent.oid = inhparent
          where parent.relname = 'events' order by 1`,
    );
    expect(names.map(({ name }) => name)).toEqual(["events_2026_02", "events_2026_03", "events_2026_04", "events_2026_05", "events_2026_06"]);
  });

  test("stored events keep every column, a batch stored twice stays one set of rows, and the hours they touch are dirty", async () => {
    const first = row({});
    const second = row({ ts: "2026-03-10T10:05:00.000Z", name: "signup", pathname: null });
    expect(await insertEventRows(t.db, [first, second])).toBe(2);
    expect(await insertEventRows(t.db, [first, second])).toBe(0);
    const [stored] = await queryRows<Record<string, unknown>>(
      t.db,
      sql`select visitor_id::text, props, screen_width from analytics.events where id = ${first.id}`,
    );
    expect(stored).toEqual({ visitor_id: "-9223372036854775807", props: { plan: "pro" }, screen_width: 1280 });
    const dirty = await queryRows<{ hour: string; version: number }>(
      t.db,
      sql`select to_char(hour at time zone 'UTC', 'HH24:MI') as hour, version::int from analytics.rollup_dirty order by hour`,
    );
    expect(dirty).toEqual([
      { hour: "08:00", version: 1 },
      { hour: "09:00", version: 1 },
      { hour: "10:00", version: 1 },
    ]);
  });
});
