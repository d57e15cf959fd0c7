import { sites } from "@lodge/db/schema";
import type { EventRow } from "../src/helpers/event-row";
import type { TestAnalytics } from "./harness";

/** A site of its own for a test (its domain and key unique), in `timeZone`, owned by `ownerId` when given. */
export async function createSite(t: TestAnalytics, options: { timeZone?: string; ownerId?: string } = {}) {
  const [site] = await t.db
    .insert(sites)
    .values({
      domain: `${Bun.randomUUIDv7().slice(-12)}.example.com`,
      name: "Test site",
      siteKey: Bun.randomUUIDv7(),
      timeZone: options.timeZone ?? "UTC",
      ownerId: options.ownerId ?? null,
    })
    .returning();
  if (!site) throw new Error("no site");
  return site;
}

/**
 * A web event as the ingest would store it: a pageview on `/` by visitor 1, whose visit began at the
 * event itself, unless `overrides` say otherwise.
 */
export function webEvent(siteId: string, ts: string, overrides: Partial<EventRow> = {}): EventRow {
  return {
    id: Bun.randomUUIDv7(),
    ts,
    site_id: siteId,
    user_id: null,
    name: "pageview",
    visitor_id: "1",
    visit_start: ts,
    hostname: "example.com",
    pathname: "/",
    referrer: null,
    source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_content: null,
    utm_term: null,
    browser: "Firefox",
    os: "Linux",
    device: "desktop",
    screen_width: 1280,
    props: {},
    ...overrides,
  };
}

/** mulberry32: a small seeded generator, so a property test's data repeats from run to run. */
export function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (below: number) => Math.floor(next() * below), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T };
}
