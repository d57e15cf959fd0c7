/**
 * POST /analytics/track: a signed-in user records product events for themselves only; a service
 * client with analytics:track records them for the user it names; the event field limits apply;
 * bad input stores nothing; each user is rate-limited.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { expectErrorShape } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  t = await startTestAnalytics({ env: { ANALYTICS_TRACK_RATE_PER_USER: "40" } });
});
afterAll(() => t.close());

const storedOf = (userId: string) =>
  queryRows<{ id: string; ts: string; name: string; site_id: string | null; props: Record<string, string> }>(
    t.db,
    sql`select id, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as ts, name, site_id, props from analytics.events where user_id = ${userId} order by id`,
  );
const track = (token: string | undefined, body: unknown) => t.call("POST", "/analytics/track", { token, body });

describe("POST /analytics/track", () => {
  test("a user records for themselves (userId omitted or their own): 202 with the id, stored now with no site", async () => {
    const user = await t.user();
    const first = await track(user.token, { name: "Report Exported", props: { format: "csv" } });
    const second = await track(user.token, { name: "Report Exported", userId: user.id });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(await storedOf(user.id)).toEqual(
      [
        { id: first.json.id, ts: "2026-03-10T10:00:00", name: "Report Exported", site_id: null, props: { format: "csv" } },
        { id: second.json.id, ts: "2026-03-10T10:00:00", name: "Report Exported", site_id: null, props: {} as Record<string, string> },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });

  test("a user naming another user (an admin too) is 403 and stores nothing", async () => {
    const [user, admin, other] = [await t.user(), await t.issuer.admin(), await t.user()];
    for (const caller of [user, admin]) {
      const response = await track(caller.token, { name: "Signed Up", userId: other.id });
      expectErrorShape(response, "another user's id");
      expect(response.status).toBe(403);
    }
    expect(await storedOf(other.id)).toEqual([]);
  });

  test("a service client needs analytics:track and names the user", async () => {
    const user = await t.user();
    const bot = await t.issuer.client("bot-service", ["analytics:track"]);
    const recorded = await track(bot, { name: "Bot Command", props: { command: "/start" }, userId: user.id });
    expect(recorded.status).toBe(202);
    const unnamed = await track(bot, { name: "Bot Command" });
    expect([unnamed.status, unnamed.json.error.code]).toEqual([422, "VALIDATION_FAILED"]);
    const withoutScope = await track(await t.issuer.client("user-service", ["analytics:export"]), { name: "Bot Command", userId: user.id });
    expect([withoutScope.status, withoutScope.json.error.code]).toEqual([403, "FORBIDDEN"]);
    expect((await track(undefined, { name: "Bot Command", userId: user.id })).status).toBe(401);
    expect((await storedOf(user.id)).map((row) => [row.id, row.name, row.props])).toEqual([[recorded.json.id, "Bot Command", { command: "/start" }]]);
  });

  test("the event field limits: at the limits is accepted, one past any of them is 422; bad and reserved names too; nothing stored", async () => {
    const user = await t.user();
    const atLimits = {
      name: "n".repeat(120),
      props: Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`${index}`.padEnd(index === 0 ? 300 : 2, "k"), "é".repeat(1000)])),
    };
    expect((await track(user.token, atLimits)).status).toBe(202);
    const thirtyOne = Object.fromEntries(Array.from({ length: 31 }, (_, index) => [`k${index}`, "v"]));
    for (const body of [
      { name: "n".repeat(121) },
      { name: "" },
      { name: "   " },
      { name: "bad\u0000name" },
      { name: 42 },
      { name: "ok", props: thirtyOne },
      { name: "ok", props: { ["k".repeat(301)]: "v" } },
      { name: "ok", props: { key: "é".repeat(1000).concat("v") } },
      { name: "ok", props: { key: 1 } },
      { name: "ok", props: ["v"] },
      { name: "ok", userId: "not-a-uuid" },
      { name: "ok", extra: true },
      { name: "user.registered" },
      { name: "file.uploaded" },
      {},
    ]) {
      const response = await track(user.token, body);
      expectErrorShape(response, JSON.stringify(body).slice(0, 60));
      expect({ body: JSON.stringify(body).slice(0, 60), status: response.status }).toEqual({ body: JSON.stringify(body).slice(0, 60), status: 422 });
    }
    expect(await storedOf(user.id)).toHaveLength(1);
  });

  test("each user is rate-limited (429 with Retry-After), whoever sends for them; other users are not", async () => {
    const [user, other] = [await t.user(), await t.user()];
    const bot = await t.issuer.client("bot-service", ["analytics:track"]);
    for (let index = 0; index < 20; index++) expect((await track(user.token, { name: "Clicked" })).status).toBe(202);
    for (let index = 0; index < 20; index++) expect((await track(bot, { name: "Clicked", userId: user.id })).status).toBe(202);
    const limited = await track(user.token, { name: "Clicked" });
    expect([limited.status, limited.json.error.code, Number(limited.headers.get("retry-after")) > 0]).toEqual([429, "RATE_LIMITED", true]);
    expect((await track(bot, { name: "Clicked", userId: user.id })).status).toBe(429);
    expect((await track(other.token, { name: "Clicked" })).status).toBe(202);
    expect(await storedOf(user.id)).toHaveLength(40);
  });
});
