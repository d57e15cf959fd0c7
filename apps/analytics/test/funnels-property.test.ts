/**
 * A property test: generated visits of a site (pageviews on nested paths, custom events with
 * properties; a visitor id lives within one site-local day, as the daily salt makes them) and
 * generated users' product events (user.registered, then what they did), for a few seeds; for
 * random step lists, windows and periods, the site funnel, the product funnel and weekly and
 * monthly retention equal a brute force over the generated events. The brute force follows the
 * definitions, not the SQL: a person reaches step k when some chain of their events, one per step,
 * each strictly after the one before, starts at a first-step event and fits in one visit (or ends
 * at most the window after its start); every chain is tried.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { events as eventsTable } from "@lodge/db/schema";
import { isNull } from "drizzle-orm";
import { type EventRow, insertEventRows } from "../src/helpers/event-row";
import { ensurePartitions } from "../src/helpers/partitions";
import { productEventRow } from "../src/helpers/product-event";
import { createSite, random, webEvent } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

const NOW = "2026-05-20T12:00:00.000Z";

let t: TestAnalytics;
let admin: string;
beforeAll(async () => {
  t = await startTestAnalytics({ jobs: false, start: NOW });
  admin = (await t.issuer.admin()).token;
  await ensurePartitions(t.db, new Date("2026-01-01T00:00:00Z"), new Date(NOW));
});
afterAll(() => t.close());

type Rng = ReturnType<typeof random>;
type Step = { page: string } | { event: string; props?: Record<string, string> };
/** One generated event: a site's (visitor, visit) or a product event (user), or a site's event tied to a user. */
type Happening = {
  ts: number;
  name: string;
  pathname: string | null;
  props: Record<string, string>;
  visitor?: string;
  visitStart?: number;
  user?: string;
  site: boolean;
};

const localDate = (ts: number, timeZone: string) => Temporal.Instant.fromEpochMilliseconds(ts).toZonedDateTimeISO(timeZone).toPlainDate();
const dayStart = (day: Temporal.PlainDate, timeZone: string) => day.toZonedDateTime({ timeZone }).epochMilliseconds;

/** A path pattern by its definition: `**` any characters, `*` any characters but `/`, anything else itself. */
function globMatch(pattern: string, path: string): boolean {
  if (pattern === "") return path === "";
  if (pattern.startsWith("**")) return Array.from({ length: path.length + 1 }, (_, cut) => cut).some((cut) => globMatch(pattern.slice(2), path.slice(cut)));
  if (pattern.startsWith("*")) {
    for (let cut = 0; cut <= path.length; cut++) {
      if (globMatch(pattern.slice(1), path.slice(cut))) return true;
      if (path[cut] === "/") return false;
    }
    return false;
  }
  return path[0] === pattern[0] && globMatch(pattern.slice(1), path.slice(1));
}

function matches(step: Step, event: Happening): boolean {
  if ("page" in step) return event.name === "pageview" && event.pathname !== null && globMatch(step.page, event.pathname);
  return event.name === step.event && Object.entries(step.props ?? {}).every(([key, value]) => event.props[key] === value);
}

/** The deepest step (0: none) any chain in `path` (time order) reaches, trying every later event for every step. */
function deepest(path: readonly Happening[], steps: readonly Step[], windowMs: number | null): number {
  const extend = (index: number, reached: number, start: number): number => {
    let best = reached;
    for (let next = index + 1; next < path.length && best < steps.length; next++) {
      const event = path[next] as Happening;
      if (windowMs !== null && event.ts - start > windowMs) break;
      if (matches(steps[reached] as Step, event)) best = Math.max(best, extend(next, reached + 1, start));
    }
    return best;
  };
  let best = 0;
  path.forEach((event, index) => {
    if (matches(steps[0] as Step, event)) best = Math.max(best, extend(index, 1, event.ts));
  });
  return best;
}

/** A funnel's figures: the people (by `person`) reaching each step in any of their paths (by `path`). */
function expectedFunnel(
  happenings: readonly Happening[],
  steps: readonly Step[],
  windowMs: number | null,
  person: (event: Happening) => string,
  path: (event: Happening) => string,
) {
  const paths = new Map<string, { person: string; events: Happening[] }>();
  for (const event of happenings) {
    const key = path(event);
    const entry = paths.get(key) ?? { person: person(event), events: [] };
    entry.events.push(event);
    paths.set(key, entry);
  }
  const depth = new Map<string, number>();
  for (const entry of paths.values()) {
    const sorted = entry.events.toSorted((a, b) => a.ts - b.ts);
    depth.set(entry.person, Math.max(depth.get(entry.person) ?? 0, deepest(sorted, steps, windowMs)));
  }
  const reached = steps.map((_, index) => [...depth.values()].filter((value) => value > index).length);
  const first = reached[0] ?? 0;
  return steps.map((step, index) => ({
    step,
    visitors: reached[index],
    conversionRate: first === 0 ? 0 : Math.round(((reached[index] ?? 0) / first) * 10_000) / 10_000,
    dropOff: index === 0 ? 0 : (reached[index - 1] ?? 0) - (reached[index] ?? 0),
  }));
}

const WINDOW_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const windowMs = (window: string) => (window === "visit" ? null : Number(window.slice(0, -1)) * WINDOW_MS[window.slice(-1) as keyof typeof WINDOW_MS]);

const SITE_DAYS = { first: Temporal.PlainDate.from("2026-03-05"), count: 6 }; // New York's clocks change on 03-08
const PAGES = ["/", "/pricing", "/pricing/team", "/pricing/team/big", "/docs/a", "/docs/a/b", "/docs/c/b", "/blog/x.y"];
const CUSTOM: { name: string; props: Record<string, string> }[] = [
  { name: "signup", props: { plan: "pro" } },
  { name: "signup", props: { plan: "free" } },
  { name: "signup", props: { plan: "pro", source: "ad" } },
  { name: "download", props: { file: "a.pdf" } },
];

/** Visitors of each local day (their ids that day's only), 1–3 visits each (30 minutes apart at least), 1–6 events 1 s–12 min apart (or exactly 5 or 10). */
function generateVisits(rng: Rng, timeZone: string): Happening[] {
  const events: Happening[] = [];
  for (let index = 0; index < SITE_DAYS.count; index++) {
    const day = SITE_DAYS.first.add({ days: index });
    const [start, end] = [dayStart(day, timeZone), dayStart(day.add({ days: 1 }), timeZone)];
    for (let visitor = 0; visitor < 4 + rng.int(12); visitor++) {
      let at = start + rng.int(end - start);
      for (let visit = 0; visit < 1 + rng.int(3) && at < end; visit++) {
        const visitStart = at;
        for (let event = 0; event < 1 + rng.int(6) && at < end; event++) {
          const custom = rng.next() < 0.3 ? rng.pick(CUSTOM) : null;
          events.push({
            ts: at,
            visitor: String(index * 1000 + visitor),
            visitStart,
            name: custom?.name ?? "pageview",
            pathname: rng.pick(PAGES),
            props: custom?.props ?? {},
            site: true,
          });
          // Some exactly 5 or 10 minutes apart: a 10m window's end is included.
          at += rng.next() < 0.3 ? rng.pick([5 * 60_000, 10 * 60_000]) : 1000 + rng.int(12 * 60_000);
        }
        at += 31 * 60_000 + rng.int(2 * 3_600_000);
      }
    }
  }
  return events;
}

const SITE_STEPS: Step[] = [
  { page: "/" },
  { page: "/pricing" },
  { page: "/pricing*" },
  { page: "/pricing/*" },
  { page: "/pricing/**" },
  { page: "/docs/**" },
  { page: "/docs/*/b" },
  { page: "/*" },
  { page: "/**" },
  { page: "/blog/x.y" },
  { event: "signup" },
  { event: "signup", props: { plan: "pro" } },
  { event: "signup", props: { plan: "pro", source: "ad" } },
  { event: "download" },
];
const PRODUCT_STEPS: Step[] = [
  { event: "user.registered" },
  { event: "user.email_verified" },
  { event: "file.uploaded" },
  { event: "file.uploaded", props: { contentType: "image/png" } },
  { event: "ai.job_completed", props: { status: "ok" } },
  { event: "ai.job_completed", props: { kind: "chat", status: "failed" } },
  { event: "Report Exported" },
];
const PRODUCT_EVENTS: { name: string; props: Record<string, string> }[] = [
  { name: "user.email_verified", props: {} },
  { name: "file.uploaded", props: { contentType: "image/png", size: "1000" } },
  { name: "file.uploaded", props: { contentType: "application/pdf", size: "2000" } },
  { name: "ai.job_completed", props: { kind: "chat", status: "ok" } },
  { name: "ai.job_completed", props: { kind: "chat", status: "failed" } },
  { name: "ai.job_completed", props: { kind: "image", status: "ok" } },
  { name: "Report Exported", props: { format: "csv" } },
];
const PRODUCT_FIRST = Date.parse("2026-01-01T00:00:00Z");

/** Users registering between January and the day before now, then 0–11 events minutes to weeks apart (none after now); some tied to a site too. */
function generateUsers(rng: Rng): Happening[] {
  const now = Date.parse(NOW);
  const events: Happening[] = [];
  for (let index = 0; index < 60; index++) {
    const user = Bun.randomUUIDv7();
    let at = PRODUCT_FIRST + rng.int(now - 86_400_000 - PRODUCT_FIRST);
    events.push({ ts: at, user, name: "user.registered", pathname: null, props: {}, site: false });
    for (let event = 0; event < rng.int(12); event++) {
      // Some exactly an hour or a day apart: the window's end is included.
      at += rng.next() < 0.2 ? rng.pick([3_600_000, 86_400_000]) : 1000 + rng.int(rng.pick([10 * 60_000, 2 * 3_600_000, 2 * 86_400_000, 20 * 86_400_000]));
      if (at > now) break;
      const what = rng.pick(PRODUCT_EVENTS);
      // A site's event tied to the user is no product activity: the brute force must leave it out.
      events.push({ ts: at, user, name: what.name, pathname: null, props: what.props, site: rng.next() < 0.1 });
    }
  }
  return events;
}

/** 2–5 steps from the pool (the same step may come twice: it then needs two events). */
const stepsOf = (rng: Rng, pool: readonly Step[]) => Array.from({ length: 2 + rng.int(4) }, () => rng.pick(pool));
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"];

describe("site funnels equal a brute force over the visits", () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}`, async () => {
      const rng = random(seed);
      const timeZone = ZONES[seed % ZONES.length] as string;
      const site = await createSite(t, { timeZone });
      const happenings = generateVisits(rng, timeZone);
      const rows: EventRow[] = happenings.map((event) =>
        webEvent(site.id, new Date(event.ts).toISOString(), {
          visitor_id: event.visitor as string,
          visit_start: new Date(event.visitStart as number).toISOString(),
          name: event.name,
          pathname: event.pathname,
          props: event.props,
        }),
      );
      expect(await insertEventRows(t.db, rows)).toBe(rows.length);
      let converted = 0;
      for (let round = 0; round < 24; round++) {
        const steps = stepsOf(rng, SITE_STEPS);
        const window = rng.pick(["visit", "visit", "10m", "10m", "1h", "3h"]);
        const from = SITE_DAYS.first.add({ days: rng.int(SITE_DAYS.count + 1) - 1 });
        const to = from.add({ days: rng.int(4) });
        const response = await t.call("POST", `/analytics/sites/${site.id}/funnels`, {
          token: admin,
          body: { steps, window, period: "custom", from: from.toString(), to: to.toString() },
        });
        const label = `${timeZone} ${from}..${to} ${window} ${JSON.stringify(steps)}`;
        expect([label, response.status]).toEqual([label, 200]);
        const [start, end] = [dayStart(from, timeZone), dayStart(to.add({ days: 1 }), timeZone)];
        const expected = expectedFunnel(
          happenings.filter((event) => event.ts >= start && event.ts < end),
          steps,
          windowMs(window),
          (event) => event.visitor as string,
          (event) => (window === "visit" ? `${event.visitor}/${event.visitStart}` : (event.visitor as string)),
        );
        expect([label, response.json.steps]).toEqual([label, expected]);
        converted += expected[1]?.visitors ?? 0;
      }
      expect(converted).toBeGreaterThan(0); // the rounds did reach past a first step
    }, 30_000);
  }
});

describe("product funnels and retention equal a brute force over the users' events", () => {
  for (const seed of [11, 12, 13]) {
    test(`seed ${seed}`, async () => {
      // Product events are everyone's: each seed starts from none.
      await t.db.delete(eventsTable).where(isNull(eventsTable.siteId));
      const rng = random(seed);
      const happenings = generateUsers(rng);
      const elsewhere = Bun.randomUUIDv7();
      const rows = happenings.map((event) => {
        const row = productEventRow({ id: Bun.randomUUIDv7(), at: new Date(event.ts), userId: event.user as string, name: event.name, props: event.props });
        return event.site ? { ...row, site_id: elsewhere, visitor_id: "1", visit_start: row.ts, pathname: "/" } : row;
      });
      expect(await insertEventRows(t.db, rows)).toBe(rows.length);
      const product = happenings.filter((event) => !event.site);
      const randomDays = () => {
        const from = localDate(PRODUCT_FIRST, "UTC").add({ days: rng.int(130) - 5 });
        return [from, from.add({ days: rng.int(60) })] as const;
      };

      let converted = 0;
      for (let round = 0; round < 12; round++) {
        const steps = stepsOf(rng, PRODUCT_STEPS);
        const window = rng.pick(["1h", "1d", "7d", "30d", "90d"]);
        const timeZone = rng.pick(ZONES);
        const [from, to] = randomDays();
        const response = await t.call("POST", "/analytics/funnels", {
          token: admin,
          body: { steps, window, from: from.toString(), to: to.toString(), timeZone },
        });
        const label = `${timeZone} ${from}..${to} ${window} ${JSON.stringify(steps)}`;
        expect([label, response.status]).toEqual([label, 200]);
        const [start, end] = [dayStart(from, timeZone), dayStart(to.add({ days: 1 }), timeZone)];
        const expected = expectedFunnel(
          product.filter((event) => event.ts >= start && event.ts < end),
          steps,
          windowMs(window),
          (event) => event.user as string,
          (event) => event.user as string,
        );
        expect([label, response.json.steps]).toEqual([label, expected]);
        converted += expected[1]?.visitors ?? 0;
      }
      expect(converted).toBeGreaterThan(0);

      let retained = 0;
      for (let round = 0; round < 8; round++) {
        const cohort = round % 2 === 0 ? "week" : "month";
        const timeZone = rng.pick(ZONES);
        const [from, to] = randomDays();
        const response = await t.call("GET", `/analytics/retention?cohort=${cohort}&from=${from}&to=${to}&timeZone=${timeZone}`, { token: admin });
        const label = `${cohort} ${timeZone} ${from}..${to}`;
        expect([label, response.status]).toEqual([label, 200]);
        const expected = expectedRetention(product, cohort, from, to, timeZone);
        expect([label, response.json.cohorts]).toEqual([label, expected]);
        retained += expected.reduce((sum, row) => sum + (row.periods[1]?.active ?? 0), 0);
      }
      expect(retained).toBeGreaterThan(0); // some cohort came back after its first period
    }, 30_000);
  }
});

/**
 * Retention by its definition: a cohort per week (from Monday) or month of the period's days, its
 * users those whose registration falls in the period and in that week or month (local time); for
 * each period from the cohort's to the one holding today, the users with any product event in it.
 */
function expectedRetention(product: readonly Happening[], unit: "week" | "month", from: Temporal.PlainDate, to: Temporal.PlainDate, timeZone: string) {
  const now = Date.parse(NOW);
  const bucket = (day: Temporal.PlainDate) => (unit === "week" ? day.subtract({ days: day.dayOfWeek - 1 }) : day.with({ day: 1 }));
  const next = (day: Temporal.PlainDate) => day.add(unit === "week" ? { weeks: 1 } : { months: 1 });
  const [start, end] = [dayStart(from, timeZone), dayStart(to.add({ days: 1 }), timeZone)];
  const registered = product.filter((event) => event.name === "user.registered" && event.ts >= start && event.ts < end);
  const cohorts: string[] = [];
  for (let day = from; Temporal.PlainDate.compare(day, to) <= 0; day = day.add({ days: 1 })) {
    if (!cohorts.includes(bucket(day).toString())) cohorts.push(bucket(day).toString());
  }
  const today = bucket(localDate(now, timeZone));
  return cohorts.map((cohortStart) => {
    const users = registered.filter((event) => bucket(localDate(event.ts, timeZone)).toString() === cohortStart).map((event) => event.user);
    const periods = [];
    let period = Temporal.PlainDate.from(cohortStart);
    do {
      const key = period.toString();
      const active = users.filter((user) =>
        product.some((event) => event.user === user && event.ts <= now && bucket(localDate(event.ts, timeZone)).toString() === key),
      ).length;
      periods.push({ start: key, active, rate: users.length === 0 ? 0 : Math.round((active / users.length) * 10_000) / 10_000 });
      period = next(period);
    } while (Temporal.PlainDate.compare(period, today) <= 0);
    return { start: cohortStart, users: users.length, periods };
  });
}
