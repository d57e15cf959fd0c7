/**
 * Every report's statements run under ANALYTICS_QUERY_TIMEOUT_MS: a query Postgres cancels gives
 * its caller a 503 in the error shape saying what to narrow, and the next query is served. A
 * statement's time includes waiting for locks, so another connection holding the tables the reports
 * read makes every report run out of time, whatever the machine's speed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createSite } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let adminToken: string;
let userToken: string;
let siteId: string;

beforeAll(async () => {
  t = await startTestAnalytics({ jobs: false, env: { ANALYTICS_QUERY_TIMEOUT_MS: "300" } });
  adminToken = (await t.issuer.admin()).token;
  userToken = (await t.user()).token;
  siteId = (await createSite(t)).id;
});
afterAll(() => t.close());

/** Every report, as its reader calls it. */
function reports() {
  const site = (path: string) => t.call("GET", `/analytics/sites/${siteId}/${path}`, { token: adminToken });
  return {
    stats: site("stats?period=7d"),
    "filtered stats": site("stats?period=30d&page=/pricing"),
    timeseries: site("timeseries?period=30d"),
    breakdown: site("breakdown/sources?period=30d"),
    "property breakdown": site("breakdown/props/plan?period=30d"),
    realtime: site("realtime"),
    "site funnel": t.call("POST", `/analytics/sites/${siteId}/funnels`, { token: adminToken, body: { steps: [{ page: "/" }, { page: "/pricing" }] } }),
    "product funnel": t.call("POST", "/analytics/funnels", { token: adminToken, body: { steps: [{ event: "user.registered" }, { event: "file.uploaded" }] } }),
    retention: t.call("GET", "/analytics/retention?cohort=week", { token: adminToken }),
    activity: t.call("GET", "/analytics/me/activity", { token: userToken }),
  };
}

async function statuses(calls: Record<string, Promise<{ status: number; json: { error?: Record<string, unknown> } }>>) {
  const entries = await Promise.all(Object.entries(calls).map(async ([name, call]) => [name, await call] as const));
  return Object.fromEntries(entries);
}

describe("a report that runs out of time", () => {
  test("is cancelled by Postgres and answered 503, saying what to narrow; the next one is served", async () => {
    const before = await statuses(reports());
    for (const [name, response] of Object.entries(before)) expect([name, response.status]).toEqual([name, 200]);

    const holder = postgres(t.databaseUrl, { max: 1, onnotice: () => {} });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const locked = new Promise<void>((resolve, reject) => {
      holder
        .begin(async (sql) => {
          await sql`lock table analytics.events, analytics.rollup_hours, analytics.rollup_days, analytics.rollup_pages in access exclusive mode`;
          resolve();
          await held;
        })
        .catch(reject);
    });
    try {
      await locked;
      const during = await statuses(reports());
      for (const [name, response] of Object.entries(during)) {
        expect([name, response.status]).toEqual([name, 503]);
        expect(response.json.error).toMatchObject({ code: "UNAVAILABLE", requestId: expect.any(String), details: { reason: "query_timeout", timeoutMs: 300 } });
        expect(String(response.json.error?.message)).toContain("shorter period or fewer filters");
      }
    } finally {
      release();
      await holder.end();
    }

    const after = await statuses(reports());
    for (const [name, response] of Object.entries(after)) expect([name, response.status]).toEqual([name, 200]);
  });
});
