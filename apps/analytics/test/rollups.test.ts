/**
 * The rollups: dirty (site, hour) marks are brought up to their events in rollup_hours, rollup_days
 * (site-local days) and rollup_pages (a pass adds what was stored since the last one; a rescan counts
 * the marks' days again), and cleared only when not marked again meanwhile;
 * concurrent passes (two instances) take turns. No job worker runs here except in the last test
 * (its own service), so the marks stay until a test rolls them up.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { eventually } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { insertEventRows } from "../src/helpers/event-row";
import { rollUp } from "../src/helpers/rollups";
import { createSite, webEvent } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  t = await startTestAnalytics({ jobs: false });
});
afterAll(() => t.close());

const pass = () => rollUp(t.db, { batchHours: 3, maxBatches: 100 });

const hoursOf = (siteId: string) =>
  queryRows<Record<string, unknown>>(
    t.db,
    sql`select to_char(hour at time zone 'UTC', 'HH24:MI') as hour, visitors, visits, bounces, duration_seconds::int as duration, pageviews, events
        from analytics.rollup_hours where site_id = ${siteId} order by hour`,
  );
const daysOf = (siteId: string) =>
  queryRows<{ day: string; visitors: number }>(t.db, sql`select day::text, visitors from analytics.rollup_days where site_id = ${siteId} order by day`);
const pagesOf = (siteId: string) =>
  queryRows<Record<string, unknown>>(
    t.db,
    sql`select day::text, pathname, visitors, pageviews from analytics.rollup_pages where site_id = ${siteId} order by day, pathname`,
  );
const marksOf = (siteId: string) =>
  queryRows<{ hour: string; version: number }>(
    t.db,
    sql`select to_char(hour at time zone 'UTC', 'HH24:MI') as hour, version::int from analytics.rollup_dirty where site_id = ${siteId} order by hour`,
  );

/** Three visitors over two hours (hand-computed figures in expectSmallDayRolledUp). */
async function smallDay(siteId: string) {
  await insertEventRows(t.db, [
    // A: a visit from 09:10 to 10:05 (3,300 s), two pageviews and a signup.
    webEvent(siteId, "2026-03-10T09:10:00.000Z", { visitor_id: "1" }),
    webEvent(siteId, "2026-03-10T09:20:00.000Z", { visitor_id: "1", visit_start: "2026-03-10T09:10:00.000Z", pathname: "/about" }),
    webEvent(siteId, "2026-03-10T10:05:00.000Z", { visitor_id: "1", visit_start: "2026-03-10T09:10:00.000Z", name: "signup" }),
    // B: one pageview (a bounce).
    webEvent(siteId, "2026-03-10T09:50:00.000Z", { visitor_id: "2" }),
    // C: two pageviews ten minutes apart.
    webEvent(siteId, "2026-03-10T10:30:00.000Z", { visitor_id: "3", pathname: "/about" }),
    webEvent(siteId, "2026-03-10T10:40:00.000Z", { visitor_id: "3", visit_start: "2026-03-10T10:30:00.000Z" }),
  ]);
}

/** The small day's rollups, counted by hand. */
async function expectSmallDayRolledUp(siteId: string) {
  expect(await hoursOf(siteId)).toEqual([
    { hour: "09:00", visitors: 2, visits: 2, bounces: 1, duration: 3300, pageviews: 3, events: 3 },
    { hour: "10:00", visitors: 2, visits: 1, bounces: 0, duration: 600, pageviews: 2, events: 3 },
  ]);
  expect(await daysOf(siteId)).toEqual([{ day: "2026-03-10", visitors: 3 }]);
  expect(await pagesOf(siteId)).toEqual([
    { day: "2026-03-10", pathname: "/", visitors: 3, pageviews: 3 },
    { day: "2026-03-10", pathname: "/about", visitors: 2, pageviews: 2 },
  ]);
}

/** What the pass left to add (rows the writer's trigger wrote and no pass has taken yet). */
const pendingOf = async (siteId: string) => {
  const [row] = await queryRows<{ events: number; visits: number }>(
    t.db,
    sql`select coalesce(sum(events), 0)::int as events, coalesce(sum(visit_events), 0)::int as visits from analytics.rollup_pending where site_id = ${siteId}`,
  );
  return row;
};

/** Each visit as the rollups keep it (its events, its last event's time). */
const visitsOf = (siteId: string) =>
  queryRows<Record<string, unknown>>(
    t.db,
    sql`select visit_start::text, visitor_id::text, events, last_ts::text from analytics.rollup_visits where site_id = ${siteId} order by 1, 2`,
  );

/** The site's rollups (and the visits they keep) equal a recount of its days from the events (every hour it has rows in marked for a rescan). */
async function expectSameAsRecount(siteId: string) {
  const rolledUp = async () => ({ hours: await hoursOf(siteId), days: await daysOf(siteId), pages: await pagesOf(siteId), visits: await visitsOf(siteId) });
  const rolled = await rolledUp();
  await t.db.execute(
    sql`insert into analytics.rollup_dirty (site_id, hour, rescan) select site_id, hour, true from analytics.rollup_hours where site_id = ${siteId}`,
  );
  await pass();
  expect(await rolledUp()).toEqual(rolled);
}

describe("rollUp", () => {
  test("recomputes the dirty hours, the site's local days and pages, and clears their marks", async () => {
    const site = await createSite(t);
    await smallDay(site.id);
    expect((await marksOf(site.id)).map((mark) => mark.hour)).toEqual(["09:00", "10:00"]);
    const result = await pass();
    expect(result.cleared).toBeGreaterThanOrEqual(2);
    expect(await marksOf(site.id)).toEqual([]);
    await expectSmallDayRolledUp(site.id);
  });

  test("an hour whose events are all gone loses its rows; a later event of a visit recomputes the hour the visit began", async () => {
    const site = await createSite(t);
    await smallDay(site.id);
    await pass();
    // B comes back at 11:00 within its visit: the visit (begun at 09:50) is no longer a bounce.
    await insertEventRows(t.db, [webEvent(site.id, "2026-03-10T10:15:00.000Z", { visitor_id: "2", visit_start: "2026-03-10T09:50:00.000Z" })]);
    expect((await marksOf(site.id)).map((mark) => mark.hour)).toEqual(["09:00", "10:00"]);
    await pass();
    expect((await hoursOf(site.id))[0]).toEqual({ hour: "09:00", visitors: 2, visits: 2, bounces: 0, duration: 3300 + 1500, pageviews: 3, events: 3 });
    await t.db.execute(sql`delete from analytics.events where site_id = ${site.id} and ts >= '2026-03-10T10:00:00Z'`);
    await t.db.execute(sql`insert into analytics.rollup_dirty (site_id, hour, rescan) values (${site.id}, '2026-03-10T10:00:00Z', true)`);
    await pass();
    expect((await hoursOf(site.id)).map((row) => row.hour)).toEqual(["09:00"]);
    expect(await pagesOf(site.id)).toEqual([
      { day: "2026-03-10", pathname: "/", visitors: 2, pageviews: 2 },
      { day: "2026-03-10", pathname: "/about", visitors: 1, pageviews: 1 },
    ]);
  });

  test("a pass adds only what arrived since the last one: a late hour, a visit's event out of order, a bounce that is no longer one", async () => {
    const site = await createSite(t);
    await smallDay(site.id);
    await pass();
    expect(await pendingOf(site.id)).toEqual({ events: 0, visits: 0 });
    await insertEventRows(t.db, [
      // B again within its visit (begun 09:50): no longer a bounce, 300 s long; B is no new visitor of the hour.
      webEvent(site.id, "2026-03-10T09:55:00.000Z", { visitor_id: "2", visit_start: "2026-03-10T09:50:00.000Z" }),
      // A's visit, an event older than its last (10:05): one more event, the same duration.
      webEvent(site.id, "2026-03-10T09:15:00.000Z", { visitor_id: "1", visit_start: "2026-03-10T09:10:00.000Z", pathname: "/about" }),
      // A new visitor in an hour already rolled up as empty: the day's fourth.
      webEvent(site.id, "2026-03-10T08:30:00.000Z", { visitor_id: "6" }),
    ]);
    expect(await pendingOf(site.id)).toEqual({ events: 3, visits: 3 });
    await pass();
    expect(await pendingOf(site.id)).toEqual({ events: 0, visits: 0 });
    expect(await hoursOf(site.id)).toEqual([
      { hour: "08:00", visitors: 1, visits: 1, bounces: 1, duration: 0, pageviews: 1, events: 1 },
      { hour: "09:00", visitors: 2, visits: 2, bounces: 0, duration: 3300 + 300, pageviews: 5, events: 5 },
      { hour: "10:00", visitors: 2, visits: 1, bounces: 0, duration: 600, pageviews: 2, events: 3 },
    ]);
    expect(await daysOf(site.id)).toEqual([{ day: "2026-03-10", visitors: 4 }]);
    expect(await pagesOf(site.id)).toEqual([
      { day: "2026-03-10", pathname: "/", visitors: 4, pageviews: 5 },
      { day: "2026-03-10", pathname: "/about", visitors: 2, pageviews: 3 },
    ]);
    await expectSameAsRecount(site.id);
  });

  test("a rescan counts the events stored since the last pass once: its recount includes them and drops their pending rows", async () => {
    const site = await createSite(t);
    await smallDay(site.id);
    await pass();
    // Stored after the pass, pending when the hour is marked for a rescan.
    await insertEventRows(t.db, [webEvent(site.id, "2026-03-10T09:30:00.000Z", { visitor_id: "1", visit_start: "2026-03-10T09:10:00.000Z" })]);
    await t.db.execute(sql`insert into analytics.rollup_dirty (site_id, hour, rescan) values (${site.id}, '2026-03-10T09:00:00Z', true)
      on conflict (site_id, hour) do update set rescan = true`);
    await pass();
    expect(await pendingOf(site.id)).toEqual({ events: 0, visits: 0 });
    expect(await hoursOf(site.id)).toEqual([
      { hour: "09:00", visitors: 2, visits: 2, bounces: 1, duration: 3300, pageviews: 4, events: 4 },
      { hour: "10:00", visitors: 2, visits: 1, bounces: 0, duration: 600, pageviews: 2, events: 3 },
    ]);
    expect(await pagesOf(site.id)).toContainEqual({ day: "2026-03-10", pathname: "/", visitors: 3, pageviews: 4 });
    await expectSameAsRecount(site.id);
  });

  test("a rescan of one day keeps the part of a pending row it did not recount: a visit across midnight", async () => {
    const site = await createSite(t);
    const rescan = (hour: string) =>
      t.db.execute(sql`insert into analytics.rollup_dirty (site_id, hour, rescan) values (${site.id}, ${hour}, true)
        on conflict (site_id, hour) do update set rescan = true`);
    await insertEventRows(t.db, [webEvent(site.id, "2026-03-10T23:50:00.000Z", { visitor_id: "7" })]);
    await pass();
    // The visit goes on after midnight; the 10th is rescanned: its recount holds the visit's part, not the 11th's hour.
    await insertEventRows(t.db, [webEvent(site.id, "2026-03-11T00:10:00.000Z", { visitor_id: "7", visit_start: "2026-03-10T23:50:00.000Z" })]);
    await rescan("2026-03-10T09:00:00Z");
    await pass();
    // (In the order of their times of day: the 11th's 00:00, then the 10th's 23:00.)
    const expected = (events: number, duration: number) => [
      { hour: "00:00", visitors: 1, visits: 0, bounces: 0, duration: 0, pageviews: events, events },
      { hour: "23:00", visitors: 1, visits: 1, bounces: 0, duration, pageviews: 1, events: 1 },
    ];
    expect(await hoursOf(site.id)).toEqual(expected(1, 1200));
    // And the other way round: the 11th is rescanned, the visit's part of its new event is not in that recount.
    await insertEventRows(t.db, [webEvent(site.id, "2026-03-11T00:20:00.000Z", { visitor_id: "7", visit_start: "2026-03-10T23:50:00.000Z" })]);
    await rescan("2026-03-11T00:00:00Z");
    await pass();
    expect(await hoursOf(site.id)).toEqual(expected(2, 1800));
    expect(await daysOf(site.id)).toEqual([
      { day: "2026-03-10", visitors: 1 },
      { day: "2026-03-11", visitors: 1 },
    ]);
    expect(await pendingOf(site.id)).toEqual({ events: 0, visits: 0 });
    await expectSameAsRecount(site.id);
  });

  test("a user's erasure marks its hours for a rescan: their days and pages are counted again without the erased events", async () => {
    const site = await createSite(t);
    const userId = Bun.randomUUIDv7();
    await smallDay(site.id);
    // D, signed in (tied to the user): /erased, then /about within the visit; the only visitor of /erased.
    await insertEventRows(t.db, [
      webEvent(site.id, "2026-03-10T10:20:00.000Z", { visitor_id: "4", user_id: userId, pathname: "/erased" }),
      webEvent(site.id, "2026-03-10T10:25:00.000Z", { visitor_id: "4", user_id: userId, visit_start: "2026-03-10T10:20:00.000Z", pathname: "/about" }),
    ]);
    await pass();
    expect(await daysOf(site.id)).toEqual([{ day: "2026-03-10", visitors: 4 }]);
    expect(await pagesOf(site.id)).toContainEqual({ day: "2026-03-10", pathname: "/erased", visitors: 1, pageviews: 1 });
    await t.deps.bus.publish("user.deletion_requested", { userId, requestedAt: t.clock.now().toISOString() });
    await eventually(async () => {
      const [mark] = await queryRows<{ rescan: boolean }>(t.db, sql`select rescan from analytics.rollup_dirty where site_id = ${site.id}`);
      return mark?.rescan === true;
    });
    await pass();
    expect(await marksOf(site.id)).toEqual([]);
    await expectSmallDayRolledUp(site.id);
    // Events after the rescan are counted on top of the rebuilt sets, as before it.
    await insertEventRows(t.db, [webEvent(site.id, "2026-03-10T11:00:00.000Z", { visitor_id: "5", pathname: "/about" })]);
    await pass();
    expect(await daysOf(site.id)).toEqual([{ day: "2026-03-10", visitors: 4 }]);
    expect(await pagesOf(site.id)).toContainEqual({ day: "2026-03-10", pathname: "/about", visitors: 3, pageviews: 3 });
  });

  test("a site's new time zone has its days counted again in that zone: every hour it has events in is rescanned", async () => {
    const admin = await t.issuer.admin();
    const site = await createSite(t);
    await insertEventRows(t.db, [
      webEvent(site.id, "2026-03-10T10:00:00.000Z", { visitor_id: "1" }),
      webEvent(site.id, "2026-03-10T23:30:00.000Z", { visitor_id: "2", pathname: "/late" }), // 00:30 on the 11th in Berlin
    ]);
    await pass();
    expect(await daysOf(site.id)).toEqual([{ day: "2026-03-10", visitors: 2 }]);
    // Stored before the change and not yet rolled up: counted once, in the new zone.
    await insertEventRows(t.db, [
      webEvent(site.id, "2026-03-10T23:45:00.000Z", { visitor_id: "2", visit_start: "2026-03-10T23:30:00.000Z", pathname: "/late" }),
    ]);
    const patched = await t.call("PATCH", `/analytics/sites/${site.id}`, { token: admin.token, body: { timeZone: "Europe/Berlin" } });
    expect(patched.status).toBe(200);
    await pass();
    expect(await daysOf(site.id)).toEqual([
      { day: "2026-03-10", visitors: 1 },
      { day: "2026-03-11", visitors: 1 },
    ]);
    expect(await pagesOf(site.id)).toEqual([
      { day: "2026-03-10", pathname: "/", visitors: 1, pageviews: 1 },
      { day: "2026-03-11", pathname: "/late", visitors: 1, pageviews: 2 },
    ]);
    expect(await pendingOf(site.id)).toEqual({ events: 0, visits: 0 });
    await expectSameAsRecount(site.id);
  });

  test("days are the site's local ones: a UTC hour of a +05:30 zone spans two days, and a Berlin evening is the next UTC day's", async () => {
    const kolkata = await createSite(t, { timeZone: "Asia/Kolkata" });
    await insertEventRows(t.db, [
      webEvent(kolkata.id, "2026-03-10T18:20:00.000Z", { visitor_id: "1" }), // 23:50 on the 10th, local
      webEvent(kolkata.id, "2026-03-10T18:40:00.000Z", { visitor_id: "2" }), // 00:10 on the 11th
      webEvent(kolkata.id, "2026-03-10T18:45:00.000Z", { visitor_id: "3", pathname: "/x" }),
    ]);
    const berlin = await createSite(t, { timeZone: "Europe/Berlin" });
    await insertEventRows(t.db, [webEvent(berlin.id, "2026-03-10T23:30:00.000Z")]); // 00:30 on the 11th in Berlin
    await pass();
    expect(await daysOf(kolkata.id)).toEqual([
      { day: "2026-03-10", visitors: 1 },
      { day: "2026-03-11", visitors: 2 },
    ]);
    expect(await pagesOf(kolkata.id)).toEqual([
      { day: "2026-03-10", pathname: "/", visitors: 1, pageviews: 1 },
      { day: "2026-03-11", pathname: "/", visitors: 1, pageviews: 1 },
      { day: "2026-03-11", pathname: "/x", visitors: 1, pageviews: 1 },
    ]);
    expect(await daysOf(berlin.id)).toEqual([{ day: "2026-03-11", visitors: 1 }]);
  });

  test("an hour written while its pass recomputes it keeps its mark (a new version) and the next pass counts the new event", async () => {
    const site = await createSite(t);
    await insertEventRows(t.db, [webEvent(site.id, "2026-03-10T09:10:00.000Z")]);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let written = false;
    // A writer's transaction: its event and the mark's new version are not committed until released.
    const writer = t.db.transaction(async (tx) => {
      await insertEventRows(tx, [webEvent(site.id, "2026-03-10T09:30:00.000Z", { visitor_id: "2" })]);
      written = true;
      await held;
    });
    await eventually(() => written);
    const rolling = pass();
    // The pass has read version 1 and now waits to clear the mark the writer holds.
    await eventually(async () => {
      const [waiting] = await queryRows<{ count: number }>(
        t.db,
        sql`select count(*)::int as count from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%delete from analytics.rollup_dirty%'`,
      );
      return (waiting?.count ?? 0) > 0;
    });
    release();
    await writer;
    await rolling;
    expect(await marksOf(site.id)).toEqual([{ hour: "09:00", version: 2 }]);
    expect((await hoursOf(site.id))[0]).toMatchObject({ visitors: 1, events: 1 });
    await pass();
    expect(await marksOf(site.id)).toEqual([]);
    expect((await hoursOf(site.id))[0]).toMatchObject({ visitors: 2, events: 2 });
  });

  test("passes of two instances at once take turns: every mark is cleared once and the figures are those of one pass", async () => {
    const site = await createSite(t);
    const rows = Array.from({ length: 48 }, (_, hour) =>
      webEvent(site.id, new Date(Date.UTC(2026, 2, 1) + hour * 3_600_000 + 60_000).toISOString(), { visitor_id: String(hour) }),
    );
    await insertEventRows(t.db, rows);
    const other = await t.startInstance();
    const [first, second] = await Promise.all([pass(), rollUp(other.deps.db, { batchHours: 3, maxBatches: 100 })]);
    expect(first.cleared + second.cleared).toBeGreaterThanOrEqual(48);
    expect(await marksOf(site.id)).toEqual([]);
    const hours = await hoursOf(site.id);
    expect(hours).toHaveLength(48);
    for (const hour of hours) expect(hour).toMatchObject({ visitors: 1, visits: 1, bounces: 1, pageviews: 1, events: 1 });
    expect(await daysOf(site.id)).toEqual([
      { day: "2026-03-01", visitors: 24 },
      { day: "2026-03-02", visitors: 24 },
    ]);
  });
});

describe("the rollups job", () => {
  test("runs every ANALYTICS_ROLLUP_INTERVAL_MS and clears the marks; /metrics reports the dirty hours and the passes", async () => {
    const withJobs = await startTestAnalytics({ env: { ANALYTICS_ROLLUP_INTERVAL_MS: "50" } });
    try {
      const site = await createSite(withJobs);
      await insertEventRows(withJobs.db, [webEvent(site.id, "2026-03-10T09:10:00.000Z")]);
      await eventually(async () => {
        const [row] = await queryRows<{ count: number }>(
          withJobs.db,
          sql`select count(*)::int as count from analytics.rollup_hours where site_id = ${site.id}`,
        );
        const [mark] = await queryRows<{ count: number }>(withJobs.db, sql`select count(*)::int as count from analytics.rollup_dirty`);
        return row?.count === 1 && mark?.count === 0;
      }, 25_000);
      const metrics = await withJobs.call("GET", "/metrics");
      expect(metrics.text).toMatch(/^analytics_rollup_dirty_hours\{[^}]*\} 0$/m);
      expect(metrics.text).toMatch(/^analytics_rollup_pass_duration_seconds_count\{[^}]*\} [1-9]/m);
    } finally {
      await withJobs.close();
    }
  }, 30_000);
});
