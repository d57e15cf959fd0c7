/**
 * Funnels, checked against conversions counted by hand from the rows below: a site's over its
 * visitors (in one visit, or within a window from the first step; page wildcards, event
 * properties, order), and the admins' over users' product events; who may read them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { siteShares, sites } from "@lodge/db/schema";
import { secretTokenHash } from "@lodge/kit";
import { expectErrorShape } from "@lodge/kit/testing";
import { type EventRow, insertEventRows } from "../src/helpers/event-row";
import { productEventRow } from "../src/helpers/product-event";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let owner: { id: string; token: string };
let admin: { id: string; token: string };
let siteId: string;
const shareToken = `share-${Bun.randomUUIDv7()}`;
const revokedToken = `revoked-${Bun.randomUUIDv7()}`;

const newSite = async (ownerId: string | null) => {
  const [site] = await t.db
    .insert(sites)
    .values({ domain: `${Bun.randomUUIDv7().slice(-12)}.example.com`, name: "Shop", siteKey: Bun.randomUUIDv7(), ownerId })
    .returning();
  return site?.id as string;
};

/** A visitor's events on 2026-03-09 (UTC): [HH:MM, page or event, props?], a new visit after 30 minutes without events. */
function visitor(site: string, id: number, events: [string, string, Record<string, string>?][]): EventRow[] {
  let visitStart = "";
  let last = 0;
  return events.map(([time, what, props]) => {
    const ts = `2026-03-09T${time}:00.000Z`;
    if (Date.parse(ts) - last > 30 * 60_000) visitStart = ts;
    last = Date.parse(ts);
    const page = what.startsWith("/");
    return {
      ...productEventRow({ id: Bun.randomUUIDv7(), at: new Date(ts), userId: "", name: page ? "pageview" : what, props: props ?? {} }),
      user_id: null,
      site_id: site,
      visitor_id: String(id),
      visit_start: visitStart,
      hostname: "shop.example.com",
      pathname: page ? what : "/",
    };
  });
}

const visitors = (site: string) => [
  visitor(site, 1, [
    ["09:00", "/"],
    ["09:05", "/pricing"],
    ["09:10", "signup", { plan: "pro" }],
  ]),
  visitor(site, 2, [
    ["10:00", "/pricing/team"],
    ["10:01", "/"],
    ["10:02", "signup", { plan: "free" }],
  ]),
  visitor(site, 3, [
    ["11:00", "/"],
    ["12:00", "/pricing"],
    ["12:01", "signup", { plan: "pro" }],
  ]),
  visitor(site, 4, [
    ["13:00", "/"],
    ["13:01", "/pricing"],
  ]),
  visitor(site, 5, [["13:00", "/about"]]),
  visitor(site, 6, [
    ["13:00", "/"],
    ["13:01", "/pricing/team"],
    ["13:02", "signup", { plan: "pro" }],
  ]),
  visitor(site, 7, [
    ["13:00", "/"],
    ["13:01", "/pricing"],
    ["13:02", "signup", { plan: "free", source: "ad" }],
  ]),
  visitor(site, 8, [
    ["13:00", "signup", { plan: "pro" }],
    ["13:01", "/"],
    ["13:02", "/pricing"],
  ]),
  visitor(site, 9, [
    ["14:00", "/"],
    ["14:20", "/"],
    ["14:50", "/"],
    ["14:55", "/pricing"],
    ["15:05", "signup", { plan: "pro", source: "ad" }],
  ]),
];

beforeAll(async () => {
  t = await startTestAnalytics();
  [owner, admin] = [await t.user(), await t.issuer.admin()];
  siteId = await newSite(owner.id);
  await t.db.insert(siteShares).values([
    { siteId, tokenHash: secretTokenHash(shareToken) },
    { siteId, tokenHash: secretTokenHash(revokedToken), revokedAt: new Date("2026-03-01T00:00:00Z") },
  ]);
  // The same visitors on another site count for that site only.
  await insertEventRows(t.db, [...visitors(siteId), ...visitors(await newSite(null))].flat());
});
afterAll(() => t.close());

const shop = [{ page: "/" }, { page: "/pricing*" }, { event: "signup", props: { plan: "pro" } }];
const siteFunnel = (body: unknown, options: { token?: string; query?: string; headers?: Record<string, string>; site?: string } = {}) =>
  t.call("POST", `/analytics/sites/${options.site ?? siteId}/funnels${options.query ?? ""}`, {
    token: "token" in options ? options.token : owner.token,
    body,
    headers: options.headers,
  });
const figures = (response: { json: { steps: { visitors: number; conversionRate: number; dropOff: number }[] } }) =>
  response.json.steps.map(({ visitors, conversionRate, dropOff }) => [visitors, conversionRate, dropOff]);

describe("a site's funnel", () => {
  test("within a visit: each step counted only after the ones before it, pages by wildcard, events by their properties", async () => {
    const response = await siteFunnel({ steps: shop, period: "day", date: "2026-03-09" });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ from: "2026-03-09T00:00:00.000Z", to: "2026-03-10T00:00:00.000Z", window: "visit" });
    expect(response.json.steps.map((step: { step: unknown }) => step.step)).toEqual(shop);
    // / : all but 5; then /pricing (not /pricing/team, not before /): 1, 4, 7, 8, 9; then signup plan=pro after it: 1, 9
    // (3's steps are in two visits; 9's first / is too early for nothing: a visit has no window).
    expect(figures(response)).toEqual([
      [8, 1, 0],
      [5, 0.625, 3],
      [2, 0.25, 3],
    ]);
    // The default period (the 30 days to today) holds the same day.
    expect(figures(await siteFunnel({ steps: shop }))).toEqual(figures(response));
  });

  test("within a window from the first step: across visits, and the best start of several", async () => {
    const within = async (window: string) =>
      figures(await siteFunnel({ steps: shop, window, period: "day", date: "2026-03-09" })).map(([visitors]) => visitors);
    // 2h: 3 converts across its two visits. 61m: 3's signup comes 61 minutes after its /, just in.
    expect(await within("2h")).toEqual([8, 6, 3]);
    expect(await within("61m")).toEqual([8, 6, 3]);
    // 60m: 3's /pricing (at 60 minutes) is in, its signup is not; 9's first / (14:00) is too early, its third (14:50) converts.
    expect(await within("60m")).toEqual([8, 6, 2]);
    // 30m: only 9's third / converts it; 3's /pricing is past the window.
    expect(await within("30m")).toEqual([8, 5, 2]);
  });

  test("** matches across /; props filter on every given property; a day without events is all zeros", async () => {
    const deep = await siteFunnel({ steps: [{ page: "/" }, { page: "/pricing**" }], period: "day", date: "2026-03-09" });
    expect(figures(deep)).toEqual([
      [8, 1, 0],
      [6, 0.75, 2],
    ]);
    const fromAds = await siteFunnel({ steps: [{ page: "/" }, { event: "signup", props: { source: "ad" } }], period: "day", date: "2026-03-09" });
    expect(figures(fromAds).map(([visitors]) => visitors)).toEqual([8, 2]);
    const empty = await siteFunnel({ steps: shop, period: "day", date: "2026-03-08" });
    expect(figures(empty)).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  test("site readers only: admins, the owner, a live share link; others 403, no token 401, an unknown site 404 for admins", async () => {
    const body = { steps: shop, period: "day", date: "2026-03-09" };
    for (const reader of [
      { token: admin.token },
      { token: undefined, query: `?share=${shareToken}` },
      { token: undefined, headers: { "x-lodge-share": shareToken } },
    ]) {
      const response = await siteFunnel(body, reader);
      expect({ reader, status: response.status }).toEqual({ reader, status: 200 });
    }
    for (const [label, options, status] of [
      ["another user", { token: (await t.user()).token }, 403],
      ["a revoked link", { token: undefined, query: `?share=${revokedToken}` }, 403],
      ["another site's link", { token: undefined, query: `?share=${shareToken}`, site: await newSite(null) }, 403],
      ["no token", { token: undefined }, 401],
      ["a service client", { token: await t.issuer.client("bot-service", ["analytics:track"]) }, 403],
      ["an admin, an unknown site", { token: admin.token, site: Bun.randomUUIDv7() }, 404],
      ["a user, an unknown site", { token: owner.token, site: Bun.randomUUIDv7() }, 403],
    ] as const) {
      const response = await siteFunnel(body, options);
      expectErrorShape(response, label);
      expect({ label, status: response.status }).toEqual({ label, status });
    }
  });

  test("bad steps, windows, periods and filters are 422", async () => {
    const filtered = await siteFunnel({ steps: shop }, { query: "?page=/" });
    expect([filtered.status, filtered.json.error.code]).toEqual([422, "VALIDATION_FAILED"]);
    for (const body of [
      { steps: [{ page: "/" }] },
      { steps: Array.from({ length: 9 }, () => ({ page: "/" })) },
      { steps: [{ page: "pricing" }, { page: "/" }] },
      { steps: [{ page: "/", event: "signup" }, { page: "/" }] },
      { steps: [{ event: "" }, { page: "/" }] },
      { steps: [{ event: "signup", props: { plan: 1 } }, { page: "/" }] },
      { steps: [{ page: `/${"a".repeat(300)}` }, { page: "/" }] },
      { steps: shop, window: "0m" },
      { steps: shop, window: "91d" },
      { steps: shop, window: "1y" },
      { steps: shop, window: "30 minutes" },
      { steps: shop, period: "forever" },
      { steps: shop, period: "custom", from: "2026-03-09" },
      { steps: shop, period: "custom", from: "2026-03-09", to: "2026-03-01" },
      { steps: shop, period: "day", date: "2026-02-30" },
      { steps: shop, extra: 1 },
    ]) {
      const response = await siteFunnel(body);
      expectErrorShape(response, JSON.stringify(body).slice(0, 80));
      expect({ body: JSON.stringify(body).slice(0, 80), status: response.status }).toEqual({ body: JSON.stringify(body).slice(0, 80), status: 422 });
    }
  });
});

describe("the product funnel (admins)", () => {
  const day = (at: string) => new Date(`2026-03-0${at}Z`);
  beforeAll(async () => {
    const users = Array.from({ length: 4 }, () => Bun.randomUUIDv7());
    const [u1, u2, u3, u4] = users as [string, string, string, string];
    const event = (userId: string, name: string, at: string, props: Record<string, string> = {}) =>
      productEventRow({ id: Bun.randomUUIDv7(), at: day(at), userId, name, props });
    await insertEventRows(t.db, [
      event(u1, "user.registered", "2T00:00:00"),
      event(u1, "file.uploaded", "2T01:00:00"),
      event(u1, "ai.job_completed", "3T00:30:00", { status: "succeeded" }),
      event(u2, "file.uploaded", "2T00:00:00"),
      event(u2, "user.registered", "2T01:00:00"),
      event(u3, "user.registered", "2T00:00:00"),
      event(u3, "ai.job_completed", "2T01:00:00", { status: "failed" }),
      event(u3, "file.uploaded", "2T02:00:00"),
      event(u4, "user.registered", "4T00:00:00"),
      event(u4, "file.uploaded", "4T01:00:00"),
      event(u4, "ai.job_completed", "4T02:00:00", { status: "succeeded", kind: "chat" }),
      // A site's event with the same name is not a product event.
      {
        ...event(u2, "ai.job_completed", "2T03:00:00", { status: "succeeded" }),
        site_id: siteId,
        visitor_id: "99",
        visit_start: day("2T03:00:00").toISOString(),
      },
    ]);
  });
  const steps = [{ event: "user.registered" }, { event: "file.uploaded" }, { event: "ai.job_completed", props: { status: "succeeded" } }];
  const productFunnel = (body: unknown, token = admin.token) => t.call("POST", "/analytics/funnels", { token, body });

  test("users through ordered steps within the window", async () => {
    const oneDay = await productFunnel({ steps, window: "1d", from: "2026-03-01", to: "2026-03-10" });
    expect(oneDay.status).toBe(200);
    expect(oneDay.json).toMatchObject({ from: "2026-03-01T00:00:00.000Z", to: "2026-03-11T00:00:00.000Z", window: "1d" });
    // Registered: 1-4; then an upload: 1, 3, 4 (2's came first); then a succeeded job within a day of registering: 4 (1's came after 24.5 hours).
    expect(figures(oneDay)).toEqual([
      [4, 1, 0],
      [3, 0.75, 1],
      [1, 0.25, 2],
    ]);
    expect(figures(await productFunnel({ steps, window: "2d", from: "2026-03-01", to: "2026-03-10" })).map(([users]) => users)).toEqual([4, 3, 2]);
    // The period bounds the events: from the 3rd on, only user 4 registered.
    expect(figures(await productFunnel({ steps, from: "2026-03-03", to: "2026-03-10" })).map(([users]) => users)).toEqual([1, 1, 1]);
    // Local days: in Los Angeles, the 4th's 00:00-02:00 UTC fall on the 3rd.
    expect(figures(await productFunnel({ steps, from: "2026-03-04", to: "2026-03-10", timeZone: "America/Los_Angeles" })).map(([users]) => users)).toEqual([
      0, 0, 0,
    ]);
  });

  test("admins only; page steps and bad bodies are 422", async () => {
    const user = await t.user();
    const forbidden = await productFunnel({ steps }, user.token);
    expect([forbidden.status, forbidden.json.error.code]).toEqual([403, "FORBIDDEN"]);
    expect((await t.call("POST", "/analytics/funnels", { body: { steps } })).status).toBe(401);
    expect((await productFunnel({ steps }, owner.token)).status).toBe(403);
    for (const body of [
      { steps: [{ page: "/" }, { event: "signup" }] },
      { steps: [{ event: "a" }] },
      { steps, window: "visit" },
      { steps, timeZone: "Nowhere/Land" },
      { steps, from: "2026-03-01" },
    ]) {
      const response = await productFunnel(body);
      expect({ body, status: response.status }).toEqual({ body, status: 422 });
    }
  });
});
