/**
 * Retention: users' cohorts by their registration week or month (in the asked time zone) and
 * their activity in each period since, counted by hand from the rows below; a site's visitors have
 * no cohorts by design (the daily salt), which its readers are told.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sites } from "@lodge/db/schema";
import { expectErrorShape } from "@lodge/kit/testing";
import { insertEventRows } from "../src/helpers/event-row";
import { productEventRow } from "../src/helpers/product-event";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let admin: { id: string; token: string };
beforeAll(async () => {
  t = await startTestAnalytics(); // now: Tuesday 2026-03-10 10:00 UTC
  admin = await t.issuer.admin();
  const [a, b, c, d, e, f, g] = Array.from({ length: 7 }, () => Bun.randomUUIDv7()) as string[] as [string, string, string, string, string, string, string];
  const event = (userId: string, name: string, at: string) => productEventRow({ id: Bun.randomUUIDv7(), at: new Date(at), userId, name, props: {} });
  const registered = (userId: string, at: string) => event(userId, "user.registered", at);
  await insertEventRows(t.db, [
    registered(a, "2026-02-16T10:00:00Z"), // week of 02-16
    event(a, "file.uploaded", "2026-02-24T10:00:00Z"), // week of 02-23
    registered(b, "2026-02-18T10:00:00Z"), // week of 02-16
    event(b, "Report Exported", "2026-03-03T10:00:00Z"), // week of 03-02
    event(b, "Report Exported", "2026-03-10T09:00:00Z"), // this week (03-09)
    registered(c, "2026-02-25T10:00:00Z"), // week of 02-23
    event(c, "file.uploaded", "2026-02-26T10:00:00Z"), // its own week
    registered(d, "2026-02-27T10:00:00Z"), // week of 02-23
    event(d, "ai.job_completed", "2026-03-09T10:00:00Z"), // this week
    // A site's event tied to d is not product activity.
    { ...event(d, "pageview", "2026-03-03T10:00:00Z"), site_id: Bun.randomUUIDv7(), visitor_id: "1", visit_start: "2026-03-03T10:00:00Z" },
    registered(e, "2026-03-02T10:00:00Z"), // after the cohorts asked for
    event(e, "file.uploaded", "2026-03-03T10:00:00Z"),
    registered(f, "2026-02-14T10:00:00Z"), // before the weekly cohorts asked for; in February's
    registered(g, "2026-02-15T20:00:00Z"), // Sunday in UTC, Monday 02-16 in Tokyo; in February's
  ]);
});
afterAll(() => t.close());

const retention = (query: string, token = admin.token) => t.call("GET", `/analytics/retention?${query}`, { token });
const table = (response: { json: { cohorts: { start: string; users: number; periods: { start: string; active: number }[] }[] } }) =>
  response.json.cohorts.map((cohort) => [cohort.start, cohort.users, cohort.periods.map((period) => `${period.start}:${period.active}`)]);

describe("GET /analytics/retention", () => {
  test("weekly cohorts by registration, active users in each week since (ISO weeks)", async () => {
    const weekly = await retention("cohort=week&from=2026-02-16&to=2026-03-01");
    expect(weekly.status).toBe(200);
    expect(weekly.json).toMatchObject({ cohort: "week", from: "2026-02-16", to: "2026-03-01", timeZone: "UTC" });
    expect(table(weekly)).toEqual([
      ["2026-02-16", 2, ["2026-02-16:2", "2026-02-23:1", "2026-03-02:1", "2026-03-09:1"]],
      ["2026-02-23", 2, ["2026-02-23:2", "2026-03-02:0", "2026-03-09:1"]],
    ]);
    expect(weekly.json.cohorts[0].periods.map((period: { rate: number }) => period.rate)).toEqual([1, 0.5, 0.5, 0.5]);
  });

  test("the time zone moves registrations between cohorts; monthly cohorts; a month without registrations is empty", async () => {
    const tokyo = await retention("cohort=week&from=2026-02-16&to=2026-03-01&timeZone=Asia/Tokyo");
    expect(table(tokyo)[0]).toEqual(["2026-02-16", 3, ["2026-02-16:3", "2026-02-23:1", "2026-03-02:1", "2026-03-09:1"]]);
    const monthly = await retention("cohort=month&from=2026-01-01&to=2026-02-28");
    expect(table(monthly)).toEqual([
      ["2026-01-01", 0, ["2026-01-01:0", "2026-02-01:0", "2026-03-01:0"]],
      ["2026-02-01", 6, ["2026-02-01:6", "2026-03-01:2"]],
    ]);
  });

  test("admins only; bad cohorts, zones and days are 422", async () => {
    const user = await t.user();
    expect((await retention("cohort=week", user.token)).status).toBe(403);
    expect((await t.call("GET", "/analytics/retention")).status).toBe(401);
    for (const query of ["cohort=day", "cohort=week&timeZone=Moon/Base", "from=2026-03-01", "from=2026-03-05&to=2026-03-01", "from=2026-13-01&to=2026-13-02"]) {
      const response = await retention(query);
      expectErrorShape(response, query);
      expect({ query, status: response.status }).toEqual({ query, status: 422 });
    }
  });
});

describe("GET /analytics/sites/{id}/retention", () => {
  test("its readers get 422 saying why (the daily salt); others are refused as on every stats route", async () => {
    const owner = await t.user();
    const [site] = await t.db.insert(sites).values({ domain: "retention.example.com", name: "R", siteKey: Bun.randomUUIDv7(), ownerId: owner.id }).returning();
    const path = `/analytics/sites/${site?.id}/retention?cohort=week`;
    for (const token of [owner.token, admin.token]) {
      const response = await t.call("GET", path, { token });
      expect([response.status, response.json.error.code]).toEqual([422, "VALIDATION_FAILED"]);
      expect(response.json.error.message).toContain("daily salt");
    }
    expect((await t.call("GET", path, { token: (await t.user()).token })).status).toBe(403);
    expect((await t.call("GET", path)).status).toBe(401);
    expect((await t.call("GET", `/analytics/sites/${Bun.randomUUIDv7()}/retention`, { token: admin.token })).status).toBe(404);
  });
});
