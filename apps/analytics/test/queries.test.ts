/**
 * The dashboard queries on a small known data set of a Berlin site around the spring DST change
 * (2026-03-29, 02:00 → 03:00 local), stored as the writer stores events and rolled up, checked
 * against figures computed by hand: stats (rollups when unfiltered, events when filtered),
 * timeseries (23 hours on the DST day), breakdowns, CSV, realtime.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { insertEventRows } from "../src/helpers/event-row";
import { rollUp } from "../src/helpers/rollups";
import { createSite, webEvent } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let admin: string;
let siteId: string;
beforeAll(async () => {
  t = await startTestAnalytics({ jobs: false, start: "2026-03-31T10:00:00.000Z" });
  admin = (await t.issuer.admin()).token;
  siteId = (await createSite(t, { timeZone: "Europe/Berlin" })).id;
  const visit = (visitor: string, start: string, common: Parameters<typeof webEvent>[2], ...rest: [string, Parameters<typeof webEvent>[2]][]) => [
    webEvent(siteId, start, { visitor_id: visitor, ...common }),
    ...rest.map(([ts, overrides]) => webEvent(siteId, ts, { visitor_id: visitor, visit_start: start, ...common, ...overrides })),
  ];
  const chrome = { browser: "Chrome", device: "desktop", screen_width: 1920, source: "Google" };
  await insertEventRows(t.db, [
    // The previous period (25–27 March): one bounce.
    ...visit("1", "2026-03-27T12:00:00.000Z", {}),
    // 28 March: V1 (3 events, 360 s), V2 (a bounce at 23:30 local).
    ...visit(
      "11",
      "2026-03-28T09:00:00.000Z",
      chrome,
      ["2026-03-28T09:05:00.000Z", { pathname: "/pricing" }],
      ["2026-03-28T09:06:00.000Z", { pathname: "/pricing", name: "signup", props: { plan: "pro" } }],
    ),
    ...visit("12", "2026-03-28T22:30:00.000Z", { pathname: "/blog/a", browser: "Firefox", device: "mobile", screen_width: 400 }),
    // 29 March (23 hours): V3 at 00:30 local (600 s), V4 at 03:30 CEST (a bounce).
    ...visit(
      "21",
      "2026-03-28T23:30:00.000Z",
      { source: "Twitter", utm_medium: "social", utm_campaign: "spring", browser: "Safari", device: "tablet", screen_width: 800 },
      ["2026-03-28T23:40:00.000Z", { pathname: "/blog/b" }],
    ),
    ...visit("22", "2026-03-29T01:30:00.000Z", { ...chrome, pathname: "/blog/a", screen_width: 1300 }),
    // 30 March: V5 (60 s, a signup), V6 (a bounce, with values a spreadsheet would misread).
    ...visit("31", "2026-03-30T08:00:00.000Z", chrome, ["2026-03-30T08:01:00.000Z", { name: "signup", props: { plan: "free" } }]),
    ...visit("32", "2026-03-30T12:00:00.000Z", { source: 'a,"b"', utm_campaign: '=HYPERLINK("evil")' }),
  ]);
  await rollUp(t.db, { batchHours: 100, maxBatches: 10 });
});
afterAll(() => t.close());

const get = (path: string, options: { token?: string; headers?: Record<string, string> } = { token: admin }) =>
  t.call("GET", `/analytics/sites/${siteId}${path}`, options);
const PERIOD = "period=custom&from=2026-03-28&to=2026-03-30";

const valuesOf = (results: Record<string, { value: number }>) => Object.fromEntries(Object.entries(results).map(([name, { value }]) => [name, value]));

describe("stats", () => {
  test("unfiltered: from the rollups, against the previous three days", async () => {
    const response = await get(`/stats?${PERIOD}`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ from: "2026-03-27T23:00:00.000Z", to: "2026-03-30T22:00:00.000Z", rolledUp: true });
    expect(response.json.results).toEqual({
      visitors: { value: 6, previous: 1, change: 500 },
      visits: { value: 6, previous: 1, change: 500 },
      pageviews: { value: 8, previous: 1, change: 700 },
      viewsPerVisit: { value: 1.33, previous: 1, change: 33 },
      bounceRate: { value: 50, previous: 100, change: -50 },
      visitDuration: { value: 170, previous: 0, change: null },
      events: { value: 10, previous: 1, change: 900 },
    });
  });

  test("filtered: from the events (visits with a matching event; negation, wildcards, alternatives, event names, properties)", async () => {
    const stats = async (filters: string) => {
      const response = await get(`/stats?${PERIOD}&${filters}`);
      expect(response.status).toBe(200);
      expect(response.json.rolledUp).toBe(false);
      return valuesOf(response.json.results);
    };
    expect(await stats("browser=Chrome")).toEqual({ visitors: 3, visits: 3, pageviews: 4, viewsPerVisit: 1.33, bounceRate: 33, visitDuration: 140, events: 6 });
    expect(await stats("page=/blog/*")).toMatchObject({ visitors: 3, visits: 3, pageviews: 3, bounceRate: 67, visitDuration: 200 });
    expect(await stats("page=/blog/**")).toMatchObject({ visitors: 3 });
    expect(await stats("page=/")).toMatchObject({ visitors: 4, pageviews: 4, events: 5 });
    expect(await stats("page=/*")).toMatchObject({ visitors: 4 });
    expect(await stats("page=/**")).toMatchObject({ visitors: 6 });
    expect(await stats("browser!=Chrome")).toMatchObject({ visitors: 3, events: 4 });
    expect(await stats("name=signup")).toMatchObject({ visitors: 2, visits: 2, pageviews: 0, events: 2 });
    expect(await stats("prop:plan=pro")).toMatchObject({ visitors: 1, events: 1 });
    expect(await stats("prop:plan!=pro")).toMatchObject({ visitors: 6, events: 9 });
    expect(await stats(`source=${encodeURIComponent("Google|Twitter")}&device=desktop`)).toMatchObject({ visitors: 3, events: 6 });
    expect(await stats("utm_campaign=spring&utm_medium=social")).toMatchObject({ visitors: 1, pageviews: 2 });
    // A filter matching every event gives the rollups' figures from the events.
    const everything = await stats("name!=nothing");
    expect(everything).toEqual(valuesOf((await get(`/stats?${PERIOD}`)).json.results));
  });

  test("period names resolve in the site's zone: day, 7d, month; realtime has no previous period", async () => {
    const day = await get("/stats?period=day&date=2026-03-29");
    expect(day.json).toMatchObject({ from: "2026-03-28T23:00:00.000Z", to: "2026-03-29T22:00:00.000Z", rolledUp: true });
    expect(valuesOf(day.json.results)).toMatchObject({ visitors: 2, visits: 2, pageviews: 3 });
    expect(valuesOf((await get("/stats?period=7d&date=2026-03-30")).json.results)).toMatchObject({ visitors: 7, pageviews: 9 });
    expect(valuesOf((await get("/stats?period=month&date=2026-03-15")).json.results)).toMatchObject({ visitors: 7, events: 11 });
    t.clock.set("2026-03-30T12:03:00.000Z");
    const now = await get("/stats?period=realtime");
    expect(now.json.results.visitors).toEqual({ value: 1, previous: null, change: null });
    t.clock.set("2026-03-31T10:00:00.000Z");
  });
});

describe("timeseries", () => {
  test("days of a custom period, each figure per day", async () => {
    const response = await get(`/timeseries?${PERIOD}`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ interval: "day", rolledUp: true });
    expect(response.json.results).toEqual([
      { date: "2026-03-28", visitors: 2, visits: 2, pageviews: 3, viewsPerVisit: 1.5, bounceRate: 50, visitDuration: 180, events: 4 },
      { date: "2026-03-29", visitors: 2, visits: 2, pageviews: 3, viewsPerVisit: 1.5, bounceRate: 50, visitDuration: 300, events: 3 },
      { date: "2026-03-30", visitors: 2, visits: 2, pageviews: 2, viewsPerVisit: 1, bounceRate: 50, visitDuration: 30, events: 3 },
    ]);
    const filtered = await get(`/timeseries?${PERIOD}&browser=Chrome`);
    expect(filtered.json.rolledUp).toBe(false);
    expect(filtered.json.results.map((bucket: { visitors: number }) => bucket.visitors)).toEqual([1, 1, 1]);
  });

  test("the DST day has 23 hours (the default interval of a day), 02:00 local missing; filtered hours agree", async () => {
    for (const filter of ["", "&name!=nothing"]) {
      const response = await get(`/timeseries?period=day&date=2026-03-29${filter}`);
      expect(response.json.interval).toBe("hour");
      const hours = response.json.results;
      expect(hours).toHaveLength(23);
      expect(hours.slice(0, 3).map((hour: { date: string }) => hour.date)).toEqual([
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T03:00:00+02:00",
      ]);
      expect(hours.at(-1).date).toBe("2026-03-29T23:00:00+02:00");
      expect(hours[0]).toMatchObject({ visitors: 1, visits: 1, pageviews: 2, visitDuration: 600 });
      expect(hours[2]).toMatchObject({ visitors: 1, visits: 1, pageviews: 1, bounceRate: 100 });
      expect(hours.filter((hour: { events: number }) => hour.events > 0)).toHaveLength(2);
    }
  });

  test("weeks begin on Mondays and months on the 1st; empty buckets are zeros", async () => {
    const weeks = await get("/timeseries?period=30d&date=2026-03-30&interval=week");
    expect(weeks.json.results.map((week: { date: string }) => week.date)).toEqual([
      "2026-02-23",
      "2026-03-02",
      "2026-03-09",
      "2026-03-16",
      "2026-03-23",
      "2026-03-30",
    ]);
    expect(weeks.json.results.map((week: { visitors: number }) => week.visitors)).toEqual([0, 0, 0, 0, 5, 2]);
    const months = await get("/timeseries?period=12mo&date=2026-03-30");
    expect(months.json.interval).toBe("month");
    expect(months.json.results).toHaveLength(12);
    expect(months.json.results.at(-1)).toMatchObject({ date: "2026-03-01", visitors: 7, pageviews: 9 });
    expect(months.json.results[0]).toEqual({
      date: "2025-04-01",
      visitors: 0,
      visits: 0,
      pageviews: 0,
      viewsPerVisit: 0,
      bounceRate: 0,
      visitDuration: 0,
      events: 0,
    });
  });
});

describe("breakdowns", () => {
  const breakdown = async (dimension: string, query = "") => {
    const response = await get(`/breakdown/${dimension}?${PERIOD}${query}`);
    expect(response.status).toBe(200);
    return response.json.results;
  };

  test("pages (from rollup_pages, the same from the events when filtered), entry and exit pages", async () => {
    const pages = [
      { value: "/", visitors: 4, pageviews: 4 },
      { value: "/blog/a", visitors: 2, pageviews: 2 },
      { value: "/blog/b", visitors: 1, pageviews: 1 },
      { value: "/pricing", visitors: 1, pageviews: 1 },
    ];
    expect(await breakdown("pages")).toEqual(pages);
    expect(await breakdown("pages", "&name!=nothing")).toEqual(pages);
    expect(await breakdown("entry-pages")).toEqual([
      { value: "/", visitors: 4, visits: 4 },
      { value: "/blog/a", visitors: 2, visits: 2 },
    ]);
    expect(await breakdown("exit-pages")).toEqual([
      { value: "/", visitors: 2, visits: 2 },
      { value: "/blog/a", visitors: 2, visits: 2 },
      { value: "/blog/b", visitors: 1, visits: 1 },
      { value: "/pricing", visitors: 1, visits: 1 },
    ]);
  });

  test("sources (null: direct), screen sizes, events, properties, filtered", async () => {
    expect(await breakdown("sources")).toEqual([
      { value: "Google", visitors: 3, visits: 3, pageviews: 4, events: 6 },
      { value: "Twitter", visitors: 1, visits: 1, pageviews: 2, events: 2 },
      { value: 'a,"b"', visitors: 1, visits: 1, pageviews: 1, events: 1 },
      { value: null, visitors: 1, visits: 1, pageviews: 1, events: 1 },
    ]);
    expect((await breakdown("screen-sizes")).map((row: { value: string; visitors: number }) => [row.value, row.visitors])).toEqual([
      ["desktop", 2],
      ["laptop", 2],
      ["mobile", 1],
      ["tablet", 1],
    ]);
    expect(await breakdown("events")).toEqual([{ value: "signup", visitors: 2, events: 2 }]);
    expect(await breakdown("props/plan")).toEqual([
      { value: "free", visitors: 1, visits: 1, pageviews: 0, events: 1 },
      { value: "pro", visitors: 1, visits: 1, pageviews: 0, events: 1 },
    ]);
    expect(await breakdown("browsers", "&device=desktop")).toEqual([
      { value: "Chrome", visitors: 3, visits: 3, pageviews: 4, events: 6 },
      { value: "Firefox", visitors: 1, visits: 1, pageviews: 1, events: 1 },
    ]);
    expect(await breakdown("utm-medium")).toEqual([{ value: "social", visitors: 1, visits: 1, pageviews: 2, events: 2 }]);
  });

  test("pages of a page and a cursor to the next; a limit over 1000 is refused", async () => {
    const first = await get(`/breakdown/pages?${PERIOD}&limit=3`);
    expect(first.json.results.map((row: { value: string }) => row.value)).toEqual(["/", "/blog/a", "/blog/b"]);
    expect(first.json.nextCursor).toBe("3");
    const second = await get(`/breakdown/pages?${PERIOD}&limit=3&cursor=3`);
    expect(second.json).toMatchObject({ results: [{ value: "/pricing" }], nextCursor: null });
    expect((await get(`/breakdown/pages?${PERIOD}&limit=1001`)).status).toBe(422);
  });

  test("CSV with format=csv or Accept: text/csv: quoted where needed, formulas neutralised", async () => {
    const byFormat = await get(`/breakdown/utm-campaign?${PERIOD}&format=csv`);
    expect(byFormat.status).toBe(200);
    expect(byFormat.headers.get("content-type")).toStartWith("text/csv");
    expect(byFormat.headers.get("content-disposition")).toBe('attachment; filename="utm-campaign.csv"');
    expect(byFormat.text).toBe(`value,visitors,visits,pageviews,events\r\n"'=HYPERLINK(""evil"")",1,1,1,1\r\nspring,1,1,2,2\r\n`);
    const byAccept = await get(`/breakdown/sources?${PERIOD}`, { token: admin, headers: { accept: "text/csv" } });
    expect(byAccept.text.split("\r\n")).toEqual([
      "value,visitors,visits,pageviews,events",
      "Google,3,3,4,6",
      "Twitter,1,1,2,2",
      '"a,""b""",1,1,1,1',
      ",1,1,1,1",
      "",
    ]);
    expect((await get(`/breakdown/pages?${PERIOD}&format=csv`)).text).toStartWith("value,visitors,pageviews\r\n/,4,4\r\n");
  });

  test("an unknown dimension is 422 naming the valid ones", async () => {
    const response = await get(`/breakdown/cities?${PERIOD}`);
    expect(response.status).toBe(422);
    expect(JSON.stringify(response.json.error)).toContain("entry-pages");
  });
});

describe("realtime", () => {
  test("visitors with an event in the last 5 minutes and their top pages", async () => {
    t.clock.set("2026-03-30T12:03:00.000Z");
    const response = await get("/realtime");
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ visitors: 1, pages: [{ value: "/", visitors: 1, pageviews: 1 }] });
    t.clock.set("2026-03-30T12:06:00.000Z");
    expect((await get("/realtime")).json).toMatchObject({ visitors: 0, pages: [] });
    t.clock.set("2026-03-31T10:00:00.000Z");
  });
});
