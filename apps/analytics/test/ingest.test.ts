import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { eventually } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { startTestAnalytics, type TestAnalytics } from "./harness";

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

let t: TestAnalytics;
let site: { id: string; siteKey: string };
beforeAll(async () => {
  t = await startTestAnalytics();
  const admin = await t.issuer.admin();
  site = (
    await t.call("POST", "/analytics/sites", {
      token: admin.token,
      body: {
        domain: "example.com",
        name: "Example",
        extraOrigins: ["https://app.example.net"],
        excludedPaths: ["/admin/**", "/preview/*"],
        excludedIps: ["203.0.113.0/24", "2001:db8::/32"],
      },
    })
  ).json;
});
afterAll(() => t.close());

let clients = 0;
/** A client address of its own for each test (its own rate-limit count and visitor). */
const newClient = () => `198.51.100.${++clients}`;

type SendOptions = { ip?: string; userAgent?: string; origin?: string; contentType?: string };
const send = (body: unknown, options: SendOptions = {}) =>
  t.call("POST", "/analytics/events", {
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: {
      "content-type": options.contentType ?? "application/json",
      "user-agent": options.userAgent ?? firefox,
      "x-forwarded-for": options.ip ?? newClient(),
      ...(options.origin ? { origin: options.origin } : {}),
    },
  });

const pageview = (path = "/", more: Record<string, unknown> = {}) => ({ name: "pageview", url: `https://example.com${path}`, ...more });

type Stored = Record<string, unknown> & { visitor_id: string; visit_start: string; ts: string };
/** The stored events of this site with `marker` in their props, once there are `count`. */
async function storedWith(marker: string, count: number): Promise<Stored[]> {
  return eventually(async () => {
    const rows = await queryRows<Stored>(
      t.db,
      sql`select name, hostname, pathname, referrer, source, utm_medium, utm_campaign, utm_content, utm_term, browser, os, device, screen_width, props,
            visitor_id::text, to_char(visit_start at time zone 'UTC', 'HH24:MI:SS') as visit_start, to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as ts
          from analytics.events where site_id = ${site.id} and props->>'m' = ${marker} order by ts, id`,
    );
    return rows.length === count && rows;
  });
}

describe("ingest", () => {
  test("one event as JSON: 202 once queued, stored with its page, browser, OS and device", async () => {
    const reply = await send({ siteKey: site.siteKey, ...pageview("/pricing?plan=pro#top", { props: { m: "one" }, screenWidth: 1440 }) });
    expect(reply.status).toBe(202);
    expect(reply.json).toEqual({ accepted: 1, dropped: [] });
    const [row] = await storedWith("one", 1);
    expect(row).toMatchObject({
      name: "pageview",
      hostname: "example.com",
      pathname: "/pricing",
      referrer: null,
      source: null,
      browser: "Firefox",
      os: "Linux",
      device: "desktop",
      screen_width: 1440,
      props: { m: "one" },
      ts: "2026-03-10 10:00:00",
    });
  });

  test("a batch as text/plain (sendBeacon): the good events kept, the bad ones dropped with their reasons", async () => {
    const events = [
      pageview("/a", { props: { m: "batch" } }),
      { name: "x".repeat(121), url: "https://example.com/" },
      { name: "signup", url: "https://example.com/b", props: { m: "batch", plan: "pro" } },
      { name: "pageview", url: "javascript:alert(1)" },
      { name: "pageview", url: "https://example.com/", props: { big: "x".repeat(2001) } },
      { name: "pageview", url: "https://example.com/", props: Object.fromEntries(Array.from({ length: 31 }, (_, index) => [`k${index}`, "v"])) },
      { name: "pageview", url: "https://example.com/", props: { ["k".repeat(301)]: "v" } },
      { name: "pageview", url: "https://example.com/", screenWidth: "wide" },
      "not an event",
      { name: "pageview", url: "https://example.com/admin/users" },
      { name: "pageview", url: "https://example.com/preview/draft" },
    ];
    const reply = await send(JSON.stringify({ siteKey: site.siteKey, events }), { contentType: "text/plain;charset=UTF-8" });
    expect(reply.status).toBe(202);
    expect(reply.json).toEqual({
      accepted: 2,
      dropped: [
        { index: 1, reason: "invalid_name" },
        { index: 3, reason: "invalid_url" },
        { index: 4, reason: "invalid_props" },
        { index: 5, reason: "invalid_props" },
        { index: 6, reason: "invalid_props" },
        { index: 7, reason: "invalid_screenWidth" },
        { index: 8, reason: "invalid_event" },
        { index: 9, reason: "excluded_path" },
        { index: 10, reason: "excluded_path" },
      ],
    });
    const rows = await storedWith("batch", 2);
    expect(rows.map((row) => [row.name, row.pathname])).toEqual([
      ["pageview", "/a"],
      ["signup", "/b"],
    ]);
    // One request: one visitor, one visit.
    expect(new Set(rows.map((row) => `${row.visitor_id}/${row.visit_start}`)).size).toBe(1);
  });

  test("bots and the site's excluded addresses (CIDR, IPv6 too) are dropped", async () => {
    expect((await send({ siteKey: site.siteKey, events: [pageview(), pageview()] }, { userAgent: googlebot })).json).toEqual({
      accepted: 0,
      dropped: [
        { index: 0, reason: "bot" },
        { index: 1, reason: "bot" },
      ],
    });
    for (const ip of ["203.0.113.77", "2001:db8::5"]) {
      expect((await send({ siteKey: site.siteKey, ...pageview() }, { ip })).json).toEqual({ accepted: 0, dropped: [{ index: 0, reason: "excluded_ip" }] });
    }
  });

  test("CORS: the site's domain, its subdomains and extra origins are answered with their origin; other origins are 403 and store nothing", async () => {
    for (const origin of ["https://example.com", "https://blog.example.com", "https://app.example.net"]) {
      const reply = await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "cors" } }) }, { origin });
      expect(reply.status).toBe(202);
      expect(reply.headers.get("access-control-allow-origin")).toBe(origin);
    }
    for (const origin of ["https://evil.com", "https://example.com.evil.com", "https://notexample.com", "null"]) {
      const reply = await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "cors" } }) }, { origin });
      expect(reply.status).toBe(403);
      expect(reply.json.error.code).toBe("FORBIDDEN");
      expect(reply.headers.get("access-control-allow-origin")).toBeNull();
    }
    await storedWith("cors", 3);
  });

  test("a preflight is answered for registered sites' origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/analytics/events`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const allowed = await preflight("https://www.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://www.example.com");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect((await preflight("https://app.example.net")).status).toBe(204);
    const refused = await preflight("https://evil.com");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("source: utm_source first, else a name for the referrer's host, else its host; the site's own pages are no source; utm fields from the URL", async () => {
    const cases: [string, string | null, Record<string, unknown>][] = [
      ["https://www.google.com/search?q=lodge", null, { source: "Google", referrer: "https://www.google.com/search" }],
      ["https://www.google.de/", null, { source: "Google" }],
      ["https://news.ycombinator.com/item?id=1", null, { source: "Hacker News" }],
      ["https://t.co/abc", null, { source: "Twitter" }],
      ["https://m.facebook.com/", null, { source: "Facebook" }],
      ["https://www.someblog.org/post", null, { source: "someblog.org", referrer: "https://www.someblog.org/post" }],
      ["https://example.com/other", null, { source: null, referrer: null }],
      ["https://docs.example.com/", null, { source: null, referrer: null }],
      ["not a url", null, { source: null, referrer: null }],
      [
        "https://www.google.com/",
        "?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_content=hero&utm_term=lodge",
        { source: "newsletter", utm_medium: "email", utm_campaign: "spring", utm_content: "hero", utm_term: "lodge" },
      ],
      // The first of a repeated parameter counts, even blank; keys and values are decoded; other parameters are ignored.
      [
        "https://www.google.com/",
        "?utm_source=+first+&utm_source=second&utm_medium=%20%20&utm_medium=later&%75tm_campaign=caf%C3%A9&utm_content&UTM_TERM=x&utm_termx=y",
        { source: "first", utm_medium: null, utm_campaign: "café", utm_content: null, utm_term: null },
      ],
      // Control characters (a NUL Postgres cannot store) are left out of the values.
      ["", "?utm_source=a%00b&utm_medium=%0A%09&utm_term=x%1Fy", { source: "ab", utm_medium: null, utm_term: "xy" }],
    ];
    const events = cases.map(([referrer, query], index) => pageview(`/s${query ?? ""}`, { referrer, props: { m: "source", i: String(index) } }));
    expect((await send({ siteKey: site.siteKey, events })).json.accepted).toBe(cases.length);
    const rows = await storedWith("source", cases.length);
    for (const [index, [, , expected]] of cases.entries()) {
      expect(rows.find((row) => (row.props as Record<string, string>).i === String(index))).toMatchObject(expected);
    }
  });

  test("user agents: a phone is mobile with its browser and OS; an unknown agent is a desktop", async () => {
    await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "phone" } }) }, { userAgent: iphone });
    expect((await storedWith("phone", 1))[0]).toMatchObject({ browser: "Mobile Safari", os: "iOS", device: "mobile" });
    await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "curl" } }) }, { userAgent: "" });
    expect((await storedWith("curl", 1))[0]).toMatchObject({ browser: null, os: null, device: "desktop" });
  });

  test("a client's timestamp is kept within the allowed skew, clamped beyond it and never in the future", async () => {
    const now = t.clock.now().getTime();
    const events = [
      pageview("/", { ts: now - 60_000, props: { m: "ts", i: "0" } }),
      pageview("/", { ts: new Date(now - 3_600_000).toISOString(), props: { m: "ts", i: "1" } }),
      pageview("/", { ts: now + 3_600_000, props: { m: "ts", i: "2" } }),
    ];
    await send({ siteKey: site.siteKey, events });
    const rows = await storedWith("ts", 3);
    const at = (i: string) => rows.find((row) => (row.props as Record<string, string>).i === i)?.ts;
    // The visit began with the earliest event (clamped to 10 minutes back); none is later than now.
    expect([at("0"), at("1"), at("2")]).toEqual(["2026-03-10 09:59:00", "2026-03-10 09:50:00", "2026-03-10 10:00:00"]);
  });

  test("the visitor: the same address and agent is one visitor all day, another one the next day; another address is another visitor", async () => {
    const ip = newClient();
    await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "day", i: "0" } }) }, { ip });
    t.clock.advance(3 * 3_600_000);
    await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "day", i: "1" } }) }, { ip });
    await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "day", i: "2" } }) }, { ip: newClient() });
    t.clock.advance(24 * 3_600_000);
    await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "day", i: "3" } }) }, { ip });
    const rows = await storedWith("day", 4);
    const visitor = (i: string) => rows.find((row) => (row.props as Record<string, string>).i === i)?.visitor_id;
    expect(visitor("0")).toBe(visitor("1") as string);
    expect(visitor("2")).not.toBe(visitor("0") as string);
    expect(visitor("3")).not.toBe(visitor("0") as string);
    expect(BigInt(visitor("0") as string)).toBeLessThan(2n ** 63n);
    // Yesterday's salt is gone once today's exists: yesterday's hashes can no longer be made again.
    const salts = await t.redis.keys(`${t.prefix}analytics:salt:*`);
    expect(salts.map((key) => key.slice(-10))).toEqual([t.clock.now().toISOString().slice(0, 10)]);
  });

  test("the visit: events less than 30 minutes apart are one visit; 30 minutes of silence start another", async () => {
    const ip = newClient();
    const at = async (i: string) => send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "visit", i } }) }, { ip });
    const start = t.clock.now();
    await at("0");
    t.clock.advance(29 * 60_000);
    await at("1");
    t.clock.advance(29 * 60_000);
    await at("2");
    t.clock.advance(30 * 60_000);
    await at("3");
    const rows = await storedWith("visit", 4);
    const first = start.toISOString().slice(11, 19);
    const fourth = new Date(start.getTime() + 88 * 60_000).toISOString().slice(11, 19);
    expect(rows.map((row) => row.visit_start)).toEqual([first, first, first, fourth]);
    expect(new Set(rows.map((row) => row.visitor_id)).size).toBe(1);
  });

  test("no raw address or user agent is kept: not in the events, not in Redis", async () => {
    const ip = "192.0.2.213";
    await send({ siteKey: site.siteKey, ...pageview("/", { props: { m: "privacy" } }) }, { ip, userAgent: iphone });
    await storedWith("privacy", 1);
    const everything = await queryRows<{ text: string }>(t.db, sql`select coalesce(string_agg(row_to_json(e)::text, ''), '') as text from analytics.events e`);
    expect(everything[0]?.text).not.toContain(ip);
    expect(everything[0]?.text).not.toContain("iPhone OS");
    for (const key of await t.redis.keys(`${t.prefix}analytics:*`)) {
      expect(key).not.toContain(ip);
      const type = await t.redis.type(key);
      const value = type === "string" ? await t.redis.get(key) : type === "stream" ? JSON.stringify(await t.redis.xrange(key, "-", "+")) : "";
      expect(value ?? "").not.toContain(ip);
      expect(value ?? "").not.toContain("iPhone OS");
    }
  });

  test("a server may send events without an Origin; an unknown siteKey is 404", async () => {
    expect((await send({ siteKey: site.siteKey, ...pageview() })).status).toBe(202);
    const unknown = await send({ siteKey: "no-such-key", ...pageview() });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("NOT_FOUND");
  });

  test("metrics: accepted, dropped by reason, written, the backlog and the writer's batches", async () => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const value = (pattern: RegExp) => Number(metrics.match(pattern)?.[1]);
    expect(value(/^analytics_events_accepted_total\{[^}]*\} (\d+)/m)).toBeGreaterThan(10);
    expect(value(/^analytics_events_dropped_total\{reason="bot"[^}]*\} (\d+)/m)).toBe(2);
    expect(value(/^analytics_events_written_total\{[^}]*\} (\d+)/m)).toBeGreaterThan(10);
    expect(metrics).toMatch(/^analytics_ingest_backlog\{[^}]*\} \d+/m);
    expect(value(/^analytics_writer_batch_duration_seconds_count\{[^}]*\} (\d+)/m)).toBeGreaterThan(0);
  });
});
