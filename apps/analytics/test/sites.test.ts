import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { sites } from "@lodge/db/schema";
import { sql } from "drizzle-orm";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let admin: { id: string; token: string };
let user: { id: string; token: string };
beforeAll(async () => {
  // No rollups job: the deletion test counts rollup rows and dirty marks it put there itself.
  t = await startTestAnalytics({ jobs: false });
  [admin, user] = await Promise.all([t.issuer.admin(), t.issuer.user()]);
});
afterAll(() => t.close());

/** A 4xx in the error shape with this status and code. */
function expectError(reply: { status: number; json: { error?: { code?: string } } }, status: number, code: string) {
  expect({ status: reply.status, code: reply.json?.error?.code }).toEqual({ status, code });
}

const create = (body: unknown, token = admin.token) => t.call("POST", "/analytics/sites", { token, body });

describe("sites", () => {
  test("an admin creates a site: the domain normalised, a random site key, the defaults", async () => {
    const created = await create({ domain: "https://Blog.Example.COM/", name: "Blog" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      domain: "blog.example.com",
      name: "Blog",
      timeZone: "UTC",
      ownerId: null,
      extraOrigins: [],
      excludedPaths: [],
      excludedIps: [],
    });
    expect(created.json.siteKey).toMatch(/^[\w-]{24}$/);
    const other = await create({ domain: "other.example.com", name: "Other", timeZone: "Europe/Berlin", extraOrigins: ["https://App.example.net/"] });
    expect(other.json.siteKey).not.toBe(created.json.siteKey);
    expect(other.json.extraOrigins).toEqual(["https://app.example.net"]);
  });

  test("the same domain twice is 409", async () => {
    await create({ domain: "dup.example.com", name: "A" });
    const again = await create({ domain: "DUP.example.com", name: "B" });
    expect(again.status).toBe(409);
    expectError(again, 409, "CONFLICT");
  });

  test("bad fields are 422: a URL with a path, a host that is not one, an unknown time zone, a bad range or origin", async () => {
    for (const body of [
      { domain: "example.org/blog", name: "x" },
      { domain: "exa mple.org", name: "x" },
      { domain: "example.org:8080", name: "x" },
      { domain: "example.org", name: "x", timeZone: "Mars/Olympus" },
      { domain: "example.org", name: "x", excludedIps: ["10.0.0.0/33"] },
      { domain: "example.org", name: "x", excludedPaths: ["admin"] },
      { domain: "example.org", name: "x", extraOrigins: ["https://a.example.net/path"] },
      { domain: "example.org", name: "" },
      { domain: "example.org", name: "x", siteKey: "mine" },
    ]) {
      const reply = await create(body);
      expect({ body, code: reply.json.error?.code }).toEqual({ body, code: "VALIDATION_FAILED" });
    }
    expect(await t.db.select().from(sites).where(sql`domain = 'example.org'`)).toEqual([]);
  });

  test("only admins: no token 401, a user 403", async () => {
    expectError(await t.call("GET", "/analytics/sites"), 401, "UNAUTHORIZED");
    expectError(await t.call("GET", "/analytics/sites", { token: user.token }), 403, "FORBIDDEN");
    expectError(await create({ domain: "mine.example.com", name: "Mine" }, user.token), 403, "FORBIDDEN");
  });

  test("list pages through every site, get reads one, patch changes fields, unknown ids are 404", async () => {
    const first = await t.call("GET", "/analytics/sites?limit=2", { token: admin.token });
    expect(first.status).toBe(200);
    expect(first.json.sites).toHaveLength(2);
    const rest = await t.call("GET", `/analytics/sites?limit=100&cursor=${first.json.nextCursor}`, { token: admin.token });
    const all = [...first.json.sites, ...rest.json.sites].map((site: { domain: string }) => site.domain).sort();
    expect(all).toEqual(["blog.example.com", "dup.example.com", "other.example.com"]);
    expect(rest.json.nextCursor).toBeNull();

    const site = first.json.sites[0];
    const got = await t.call("GET", `/analytics/sites/${site.id}`, { token: admin.token });
    expect(got.json).toEqual(site);
    const patched = await t.call("PATCH", `/analytics/sites/${site.id}`, {
      token: admin.token,
      body: { name: "Renamed", ownerId: user.id, excludedPaths: ["/admin/**"], excludedIps: ["203.0.113.0/24", "2001:db8::1"] },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: "Renamed", ownerId: user.id, siteKey: site.siteKey, domain: site.domain, excludedPaths: ["/admin/**"] });
    expectError(await t.call("PATCH", `/analytics/sites/${site.id}`, { token: admin.token, body: { domain: "blog.example.com" } }), 409, "CONFLICT");
    const unknown = "0195a0b0-0000-7000-8000-00000000abcd";
    expectError(await t.call("GET", `/analytics/sites/${unknown}`, { token: admin.token }), 404, "NOT_FOUND");
    expectError(await t.call("PATCH", `/analytics/sites/${unknown}`, { token: admin.token, body: { name: "x" } }), 404, "NOT_FOUND");
    expectError(await t.call("DELETE", `/analytics/sites/${unknown}`, { token: admin.token }), 404, "NOT_FOUND");
    expectError(await t.call("GET", "/analytics/sites/not-a-uuid", { token: admin.token }), 422, "VALIDATION_FAILED");
  });

  test("deleting a site deletes its events, rollups, dirty marks and share links, and no one else's", async () => {
    const doomed = (await create({ domain: "doomed.example.com", name: "Doomed" })).json;
    const kept = (await create({ domain: "kept.example.com", name: "Kept" })).json;
    for (const id of [doomed.id, kept.id]) {
      // With a visitor and a visit: the trigger writes what the rollup job has yet to add (rollup_pending).
      await t.db.execute(
        sql`insert into analytics.events (id, ts, site_id, name, visitor_id, visit_start) values (${Bun.randomUUIDv7()}, '2026-03-10T09:00:00Z', ${id}, 'pageview', 1, '2026-03-10T09:00:00Z')`,
      );
      await t.db.execute(sql`insert into analytics.rollup_hours values (${id}, '2026-03-10T09:00:00Z', 1, 1, 1, 0, 1, 1)`);
      await t.db.execute(sql`insert into analytics.rollup_days values (${id}, '2026-03-10', 1)`);
      await t.db.execute(sql`insert into analytics.rollup_pages values (${id}, '2026-03-10', '/', 1, 1)`);
      await t.db.execute(sql`insert into analytics.rollup_hour_pages values (${id}, '2026-03-10T09:00:00Z', '2026-03-10', '/', 1)`);
      await t.db.execute(sql`insert into analytics.rollup_day_visitors values (${id}, '2026-03-10', 1)`);
      await t.db.execute(sql`insert into analytics.rollup_page_visitors values (${id}, '2026-03-10', '/', 1)`);
      await t.db.execute(sql`insert into analytics.rollup_hour_visitors values (${id}, '2026-03-10T09:00:00Z', 1)`);
      await t.db.execute(sql`insert into analytics.rollup_visits values (${id}, '2026-03-10T09:00:00Z', 1, 1, '2026-03-10T09:00:00Z')`);
      await t.db.execute(sql`insert into analytics.rollup_dirty (site_id, hour) values (${id}, '2026-03-10T09:00:00Z')`);
      await t.db.execute(sql`insert into analytics.site_shares (id, site_id, token_hash) values (${Bun.randomUUIDv7()}, ${id}, ${crypto.randomUUID()})`);
    }
    expect((await t.call("DELETE", `/analytics/sites/${doomed.id}`, { token: admin.token })).status).toBe(204);
    const left = await queryRows<{ site_id: string; n: number }>(
      t.db,
      sql`select site_id, count(*)::int as n from (
        select site_id from analytics.events union all select site_id from analytics.rollup_hours union all select site_id from analytics.rollup_days
        union all select site_id from analytics.rollup_pages union all select site_id from analytics.rollup_dirty union all select site_id from analytics.site_shares
        union all select site_id from analytics.rollup_hour_pages union all select site_id from analytics.rollup_day_visitors
        union all select site_id from analytics.rollup_page_visitors union all select site_id from analytics.rollup_hour_visitors
        union all select site_id from analytics.rollup_visits union all select site_id from analytics.rollup_pending
      ) rows where site_id in (${doomed.id}, ${kept.id}) group by site_id`,
    );
    expect(left).toEqual([{ site_id: kept.id, n: 12 }]);
    expectError(await t.call("GET", `/analytics/sites/${doomed.id}`, { token: admin.token }), 404, "NOT_FOUND");
  });
});
