/**
 * A property test: generated visits (a fixed seed per site, so a run repeats) over six weeks around
 * the DST changes, in four zones, rolled up; for generated periods, the stats (from the rollups, and
 * from the events through a filter matching everything), the daily timeseries and the pages,
 * sources, browsers, devices, entry-pages and exit-pages breakdowns equal a brute-force
 * computation over the generated events. Visitors follow the daily
 * salt: a visitor id lives within one site-local day, as the ingest makes them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { type Counts, figuresOf } from "../src/helpers/aggregates";
import { type EventRow, insertEventRows } from "../src/helpers/event-row";
import { startOfDay } from "../src/helpers/periods";
import { rollUp } from "../src/helpers/rollups";
import { createSite, random, webEvent } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let admin: string;
beforeAll(async () => {
  t = await startTestAnalytics({ jobs: false });
  admin = (await t.issuer.admin()).token;
});
afterAll(() => t.close());

const FIRST_DAY = Temporal.PlainDate.from("2026-03-01");
const DAYS = 42;
const PAGES = ["/", "/a", "/b", "/c/d"];

type Generated = { ts: number; visitor: string; visitStart: number; name: string; pathname: string; source: string | null; browser: string; device: string };

/**
 * Visits within each local day (a visitor may come back the same day after 30 minutes), 1–5 events
 * 0–20 minutes apart; a visitor keeps their browser and device (the visitor id hashes the user
 * agent), each visit has its source (none: direct).
 */
function generate(seed: number, timeZone: string): Generated[] {
  const rng = random(seed);
  const events: Generated[] = [];
  for (let index = 0; index < DAYS; index++) {
    const day = FIRST_DAY.add({ days: index });
    const start = startOfDay(day, timeZone).getTime();
    const end = startOfDay(day.add({ days: 1 }), timeZone).getTime();
    const visitors = rng.int(8);
    for (let visitor = 0; visitor < visitors; visitor++) {
      const id = String(index * 1000 + visitor);
      const [browser, device] = [rng.pick(["Firefox", "Chrome", "Safari"]), rng.pick(["desktop", "mobile", "tablet"])];
      let at = start + rng.int(end - start);
      for (let visit = 0; visit < 1 + rng.int(2) && at < end; visit++) {
        const visitStart = at;
        const source = rng.pick([null, "Google", "GitHub", "Hacker News"]);
        const length = 1 + rng.int(5);
        for (let event = 0; event < length && at < end; event++) {
          events.push({ ts: at, visitor: id, visitStart, name: rng.next() < 0.8 ? "pageview" : "signup", pathname: rng.pick(PAGES), source, browser, device });
          at += rng.int(20 * 60_000);
        }
        at += 31 * 60_000 + rng.int(3 * 3_600_000);
      }
    }
  }
  return events;
}

/** The brute force: counts of the events in [from, to), visits by where they began. */
function expected(events: readonly Generated[], from: number, to: number): Counts {
  const inside = events.filter((event) => event.ts >= from && event.ts < to);
  const visits = new Map<string, Generated[]>();
  for (const event of events.filter((candidate) => candidate.visitStart >= from && candidate.visitStart < to)) {
    const key = `${event.visitor}/${event.visitStart}`;
    visits.set(key, [...(visits.get(key) ?? []), event]);
  }
  const lengths = [...visits.values()];
  return {
    visitors: new Set(inside.map((event) => event.visitor)).size,
    visits: lengths.length,
    bounces: lengths.filter((visit) => visit.length === 1).length,
    duration: lengths.reduce((sum, visit) => sum + Math.floor((Math.max(...visit.map((event) => event.ts)) - (visit[0]?.visitStart ?? 0)) / 1000), 0),
    pageviews: inside.filter((event) => event.name === "pageview").length,
    events: inside.length,
  };
}

function expectedPages(events: readonly Generated[], from: number, to: number) {
  const pages = new Map<string, { visitors: Set<string>; pageviews: number }>();
  for (const event of events.filter((candidate) => candidate.ts >= from && candidate.ts < to && candidate.name === "pageview")) {
    const page = pages.get(event.pathname) ?? { visitors: new Set(), pageviews: 0 };
    page.visitors.add(event.visitor);
    page.pageviews++;
    pages.set(event.pathname, page);
  }
  return Object.fromEntries([...pages].map(([value, page]) => [value, { visitors: page.visitors.size, pageviews: page.pageviews }]));
}

type Row = { value: string | null; visitors: number; visits: number; pageviews?: number; events?: number };
/** The breakdowns' order: visitors, then the next figure (visits), descending; then the value in byte order, none last. */
const ranked = (rows: Row[]) =>
  rows.toSorted(
    (a, b) =>
      b.visitors - a.visitors || b.visits - a.visits || (a.value === b.value ? 0 : a.value === null ? 1 : b.value === null ? -1 : a.value < b.value ? -1 : 1),
  );

/** Sources, browsers or devices: the events in [from, to) by the field's value, with their visitors, visits, pageviews and events. */
function expectedBy(events: readonly Generated[], from: number, to: number, field: "source" | "browser" | "device"): Row[] {
  const groups = new Map<string | null, Generated[]>();
  for (const event of events.filter((candidate) => candidate.ts >= from && candidate.ts < to))
    groups.set(event[field], [...(groups.get(event[field]) ?? []), event]);
  return ranked(
    [...groups].map(([value, group]) => ({
      value,
      visitors: new Set(group.map((event) => event.visitor)).size,
      visits: new Set(group.map((event) => `${event.visitor}/${event.visitStart}`)).size,
      pageviews: group.filter((event) => event.name === "pageview").length,
      events: group.length,
    })),
  );
}

/** Entry or exit pages: the visits that began in [from, to) by their first or last pageview (all their events, those after `to` too). */
function expectedEntries(events: readonly Generated[], from: number, to: number, which: "first" | "last"): Row[] {
  const visits = new Map<string, Generated[]>();
  for (const event of events.filter((candidate) => candidate.visitStart >= from && candidate.visitStart < to && candidate.name === "pageview")) {
    const key = `${event.visitor}/${event.visitStart}`;
    visits.set(key, [...(visits.get(key) ?? []), event]);
  }
  const pages = new Map<string, { visitors: Set<string>; visits: number }>();
  for (const pageviews of visits.values()) {
    const sorted = pageviews.toSorted((a, b) => a.ts - b.ts);
    const page = (which === "first" ? sorted[0] : sorted.at(-1)) as Generated;
    const entry = pages.get(page.pathname) ?? { visitors: new Set(), visits: 0 };
    entry.visitors.add(page.visitor);
    entry.visits++;
    pages.set(page.pathname, entry);
  }
  return ranked([...pages].map(([value, entry]) => ({ value, visitors: entry.visitors.size, visits: entry.visits })));
}

const zones = [
  [1, "Europe/Berlin"],
  [2, "America/New_York"],
  [3, "Asia/Kolkata"],
  [4, "UTC"],
] as const;

describe("rollups and raw events agree with a brute force", () => {
  for (const [seed, timeZone] of zones) {
    test(`${timeZone} (seed ${seed})`, async () => {
      const site = await createSite(t, { timeZone });
      const events = generate(seed, timeZone);
      const rows: EventRow[] = events.map((event) =>
        webEvent(site.id, new Date(event.ts).toISOString(), {
          visitor_id: event.visitor,
          visit_start: new Date(event.visitStart).toISOString(),
          name: event.name,
          pathname: event.pathname,
          source: event.source,
          browser: event.browser,
          device: event.device,
        }),
      );
      // Stored in a shuffled order (a visit's events late and out of order), in four parts with a pass after
      // each: the passes add what arrived (new visitors of an hour, a day, a page; a visit's new events).
      // Before the third part some hours are marked for a rescan (as an erasure does, here with nothing
      // erased): the pass counts their days again from the events, the third part's pending rows included.
      const arrival = random(seed * 31);
      const parts: EventRow[][] = [[], [], [], []];
      for (const row of rows) parts[arrival.int(parts.length)]?.push(row);
      for (const [index, part] of parts.entries()) {
        if (index === 2) {
          const hours = rows.filter(() => arrival.next() < 0.05).map((row) => row.ts);
          await t.db.execute(sql`insert into analytics.rollup_dirty (site_id, hour, rescan)
            select distinct ${site.id}::uuid, date_trunc('hour', at::timestamptz, 'UTC'), true from json_array_elements_text(${JSON.stringify(hours)}::json) as at
            on conflict (site_id, hour) do update set version = analytics.rollup_dirty.version + 1, rescan = true`);
        }
        expect(await insertEventRows(t.db, part)).toBe(part.length);
        await rollUp(t.db, { batchHours: 500, maxBatches: 100 });
      }
      const rng = random(seed * 7919);
      const get = async (path: string) => {
        const response = await t.call("GET", `/analytics/sites/${site.id}/${path}`, { token: admin });
        expect([path, response.status]).toEqual([path, 200]);
        return response.json;
      };
      for (let round = 0; round < 12; round++) {
        const first = FIRST_DAY.add({ days: rng.int(DAYS + 6) - 3 });
        const last = first.add({ days: rng.int(round % 3 === 0 ? 1 : 21) });
        const period = `period=custom&from=${first}&to=${last}`;
        const from = startOfDay(first, timeZone).getTime();
        const to = startOfDay(last.add({ days: 1 }), timeZone).getTime();
        const figures = figuresOf(expected(events, from, to));
        const label = `${timeZone} ${first}..${last}`;

        const rolled = await get(`stats?${period}`);
        expect([label, rolled.rolledUp]).toEqual([label, timeZone !== "Asia/Kolkata"]);
        const values = (json: { results: Record<string, { value: number }> }) =>
          Object.fromEntries(Object.entries(json.results).map(([name, figure]) => [name, figure.value]));
        expect([label, values(rolled)]).toEqual([label, figures]);
        const raw = await get(`stats?${period}&name!=__none__`);
        expect([label, raw.rolledUp, values(raw)]).toEqual([label, false, figures]);

        const days = (await get(`timeseries?${period}&interval=day`)).results;
        const perDay = Array.from({ length: first.until(last).days + 1 }, (_, index) => {
          const day = first.add({ days: index });
          return {
            date: day.toString(),
            ...figuresOf(expected(events, startOfDay(day, timeZone).getTime(), startOfDay(day.add({ days: 1 }), timeZone).getTime())),
          };
        });
        expect([label, days]).toEqual([label, perDay]);

        const pages = (await get(`breakdown/pages?${period}&limit=1000`)).results as { value: string; visitors: number; pageviews: number }[];
        expect([label, Object.fromEntries(pages.map(({ value, ...page }) => [value, page]))]).toEqual([label, expectedPages(events, from, to)]);
        expect(pages.map((page) => page.visitors)).toEqual(pages.map((page) => page.visitors).sort((a, b) => b - a));

        const breakdown = async (dimension: string) => [label, dimension, (await get(`breakdown/${dimension}?${period}&limit=1000`)).results];
        for (const [dimension, field] of [
          ["sources", "source"],
          ["browsers", "browser"],
          ["devices", "device"],
        ] as const) {
          expect(await breakdown(dimension)).toEqual([label, dimension, expectedBy(events, from, to, field)]);
        }
        expect(await breakdown("entry-pages")).toEqual([label, "entry-pages", expectedEntries(events, from, to, "first")]);
        expect(await breakdown("exit-pages")).toEqual([label, "exit-pages", expectedEntries(events, from, to, "last")]);
      }
    }, 60_000);
  }
});
