/**
 * GET /analytics/me/activity: the signed-in user's own product events per name and per bucket
 * (day, ISO week, month) in the time zone they ask for, with totals; others' events and web events
 * are not theirs. The figures are counted by hand from the rows below.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectErrorShape } from "@lodge/kit/testing";
import { insertEventRows } from "../src/helpers/event-row";
import { productEventRow } from "../src/helpers/product-event";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let user: { id: string; token: string };
beforeAll(async () => {
  t = await startTestAnalytics();
  user = await t.user();
  const other = await t.user();
  const event = (userId: string, name: string, at: string) => productEventRow({ id: Bun.randomUUIDv7(), at: new Date(at), userId, name, props: {} });
  await insertEventRows(t.db, [
    event(user.id, "Report Exported", "2026-02-27T10:00:00Z"), // Tokyo 02-27: before the range asked for below
    event(user.id, "Report Exported", "2026-03-01T14:00:00Z"), // Tokyo 03-01 23:00
    event(user.id, "Report Exported", "2026-03-01T15:30:00Z"), // Tokyo 03-02 00:30 (UTC: still 03-01)
    event(user.id, "File Shared", "2026-03-02T03:00:00Z"), // Tokyo 03-02
    event(user.id, "Report Exported", "2026-03-09T16:00:00Z"), // Tokyo 03-10 01:00 (UTC: 03-09)
    event(other.id, "Report Exported", "2026-03-02T03:00:00Z"),
    // A web event tied to the user is a site's, not their own activity.
    { ...event(user.id, "pageview", "2026-03-02T03:00:00Z"), site_id: Bun.randomUUIDv7(), pathname: "/" },
  ]);
});
afterAll(() => t.close());

const activity = (query: string, token = user.token) => t.call("GET", `/analytics/me/activity?${query}`, { token });
const zeros = (length: number, at: Record<number, number>) => Array.from({ length }, (_, index) => at[index] ?? 0);

describe("GET /analytics/me/activity", () => {
  test("per day in the user's time zone: an event past local midnight counts on the next day", async () => {
    const tokyo = await activity("from=2026-03-01&to=2026-03-10&timeZone=Asia/Tokyo");
    expect(tokyo.status).toBe(200);
    expect(tokyo.json).toMatchObject({ from: "2026-03-01", to: "2026-03-10", timeZone: "Asia/Tokyo", interval: "day", total: 4 });
    expect(tokyo.json.buckets).toEqual(Array.from({ length: 10 }, (_, index) => `2026-03-${String(index + 1).padStart(2, "0")}`));
    expect(tokyo.json.events).toEqual([
      { name: "Report Exported", total: 3, counts: zeros(10, { 0: 1, 1: 1, 9: 1 }) },
      { name: "File Shared", total: 1, counts: zeros(10, { 1: 1 }) },
    ]);
    const utc = await activity("from=2026-03-01&to=2026-03-10");
    expect(utc.json.timeZone).toBe("UTC");
    expect(utc.json.events).toEqual([
      { name: "Report Exported", total: 3, counts: zeros(10, { 0: 2, 8: 1 }) },
      { name: "File Shared", total: 1, counts: zeros(10, { 1: 1 }) },
    ]);
  });

  test("per ISO week (Monday first) and per month; buckets are named by their first day", async () => {
    const weeks = await activity("from=2026-03-01&to=2026-03-10&interval=week&timeZone=Asia/Tokyo");
    expect(weeks.json.buckets).toEqual(["2026-02-23", "2026-03-02", "2026-03-09"]);
    expect(weeks.json.events).toEqual([
      { name: "Report Exported", total: 3, counts: [1, 1, 1] },
      { name: "File Shared", total: 1, counts: [0, 1, 0] },
    ]);
    const months = await activity("from=2026-02-01&to=2026-03-31&interval=month&timeZone=Asia/Tokyo");
    expect(months.json.buckets).toEqual(["2026-02-01", "2026-03-01"]);
    expect(months.json.events).toEqual([
      { name: "Report Exported", total: 4, counts: [1, 3] },
      { name: "File Shared", total: 1, counts: [0, 1] },
    ]);
  });

  test("without from and to: the 30 days up to today; a user with no events gets empty lists", async () => {
    const recent = await activity("timeZone=Asia/Tokyo");
    expect(recent.json).toMatchObject({ from: "2026-02-09", to: "2026-03-10", total: 5 });
    expect(recent.json.buckets).toHaveLength(30);
    const stranger = await t.user();
    expect((await activity("", stranger.token)).json).toMatchObject({ total: 0, events: [] });
  });

  test("signed-in users only: no token 401, a service client 403", async () => {
    expect((await t.call("GET", "/analytics/me/activity")).status).toBe(401);
    const client = await activity("", await t.issuer.client("bot-service", ["analytics:track"]));
    expect([client.status, client.json.error.code]).toEqual([403, "FORBIDDEN"]);
  });

  test("bad zones, intervals and days are 422", async () => {
    for (const query of [
      "timeZone=Mars/Olympus",
      "timeZone=%2B05:00",
      "timeZone=UTC%27;drop%20table%20x;--",
      "interval=year",
      "from=2026-03-10&to=2026-03-01",
      "from=2026-03-01",
      "from=2026-02-30&to=2026-03-01",
      "from=2020-01-01&to=2026-03-01",
      "from=yesterday&to=today",
    ]) {
      const response = await activity(query);
      expectErrorShape(response, query);
      expect({ query, status: response.status }).toEqual({ query, status: 422 });
    }
  });
});
