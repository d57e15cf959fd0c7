/**
 * The bad-input sweep of the query routes: every query parameter of each (as the OpenAPI document
 * lists them) gets malformed and hostile values, unknown parameters and filters, bad path values,
 * inverted and huge periods, too many buckets. Parameters that choose (period, interval, limit, ...)
 * answer 4xx in the error shape; filter values are data (a hostile one matches nothing) and answer
 * 200, or 422 when no value could match (empty, control characters, too long); never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { documentPart, expectErrorShape, hostileStrings, type OpenApiDocument, operationsOf, type SweptOperation } from "@lodge/kit/testing";
import { insertEventRows } from "../src/helpers/event-row";
import { FILTER_NAMES } from "../src/helpers/filters";
import { createSite, webEvent } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let admin: string;
let siteId: string;
let document: OpenApiDocument;
let operations: SweptOperation[];

const mine = (path: string) => /^\/analytics\/sites\/\{id\}\/(stats|timeseries|breakdown|realtime)/.test(path);
const fill = (path: string) => path.replace("{id}", siteId).replace("{dimension}", "pages").replace("{key}", "plan");

beforeAll(async () => {
  t = await startTestAnalytics({ jobs: false });
  admin = (await t.issuer.admin()).token;
  siteId = (await createSite(t)).id;
  await insertEventRows(t.db, [webEvent(siteId, "2026-03-10T09:00:00.000Z", { props: { plan: "pro" } })]);
  document = documentPart((await t.call("GET", "/analytics/openapi.json")).json, mine);
  operations = operationsOf(document);
});
afterAll(() => t.close());

const get = (path: string) => t.call("GET", path, { token: admin });
/** Strings sent raw (already percent-encoded): invalid UTF-8, a lone surrogate, a broken escape. */
const rawEncoded = ["%ED%A0%80", "%FF", "%", "%%41"];
const values = [...hostileStrings.filter((hostile) => hostile.isWellFormed()).map(encodeURIComponent), ...rawEncoded];

describe("the query routes", () => {
  test("are in the document, each with its error responses", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "GET /analytics/sites/{id}/breakdown/props/{key}",
      "GET /analytics/sites/{id}/breakdown/{dimension}",
      "GET /analytics/sites/{id}/realtime",
      "GET /analytics/sites/{id}/stats",
      "GET /analytics/sites/{id}/timeseries",
    ]);
    for (const methods of Object.values(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(methods)) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["401", "403", "404", "422"]));
    }
  });

  test("parameters that choose (period, dates, interval, limit, cursor, format) refuse malformed and hostile values with a 4xx", async () => {
    const choosing = ["period", "date", "from", "to", "interval", "limit", "cursor", "format"];
    const malformed = [...values, "-1", "1e308", "0", "[]", "2026-02-30", "99999-01-01", "2026-3-1"];
    let checked = 0;
    for (const operation of operations) {
      for (const name of operation.query.filter((parameter) => choosing.includes(parameter))) {
        // from and to count only in a custom period.
        const base = name === "from" || name === "to" ? "period=custom&from=2026-03-01&to=2026-03-02&" : "";
        for (const value of malformed) {
          if (name === "cursor" && value === "0") continue; // the first page
          const query = `${base}${name}=${value}`.replace(new RegExp(`(^|&)${name}=[^&]*&(.*)${name}=`), `$1$2${name}=`);
          const response = await get(`${fill(operation.path)}?${query}`);
          expectErrorShape(response, `${operation.path}?${query.slice(0, 60)}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  }, 60_000);

  test("filter values are data: hostile ones answer 200 (matching nothing) or 422, never a 5xx; negations and properties too", async () => {
    const filters = [...FILTER_NAMES, ...FILTER_NAMES.map((name) => `${name}!`), "prop:plan", "prop:plan!", `prop:${encodeURIComponent("' OR 1=1 --")}`];
    for (const operation of operations) {
      for (const filter of filters) {
        for (const value of values) {
          const path = `${fill(operation.path)}?${filter}=${value}`;
          const response = await get(path);
          if (response.status !== 200) expectErrorShape(response, path.slice(0, 100));
          expect([path, response.status === 200 || response.status === 422]).toEqual([path, true]);
        }
      }
    }
    // Empty, control characters and over-long values can match nothing: refused.
    for (const value of ["", "%00", "%0A", "a".repeat(2001), Array.from({ length: 21 }, () => "a").join("|"), "a||b"]) {
      const response = await get(`/analytics/sites/${siteId}/stats?browser=${value}`);
      expect([value.slice(0, 20), response.status]).toEqual([value.slice(0, 20), 422]);
      expectErrorShape(response, value);
    }
  }, 120_000);

  test("unknown or repeated parameters are 422 naming the filters", async () => {
    for (const query of [
      "city=Berlin",
      "prop:=x",
      `prop:${"k".repeat(400)}=x`,
      "page!!=x",
      "page=/a&page=/b",
      "period=day&period=7d",
      "__proto__=x",
      "constructor=x",
    ]) {
      const response = await get(`/analytics/sites/${siteId}/stats?${query}`);
      expect([query.slice(0, 30), response.status]).toEqual([query.slice(0, 30), 422]);
      expectErrorShape(response, query);
    }
    expect(JSON.stringify((await get(`/analytics/sites/${siteId}/stats?city=Berlin`)).json.error)).toContain("utm_campaign");
  });

  test("bad path values: a malformed site id, an unknown dimension, a property key with control characters or too long", async () => {
    for (const path of [
      "/analytics/sites/not-a-uuid/stats",
      "/analytics/sites/%27%20OR%201%3D1/stats",
      `/analytics/sites/${siteId}/breakdown/cities`,
      `/analytics/sites/${siteId}/breakdown/%00`,
      `/analytics/sites/${siteId}/breakdown/props/%00`,
      `/analytics/sites/${siteId}/breakdown/props/${"k".repeat(301)}`,
    ]) {
      const response = await get(path);
      expect([path, response.status]).toEqual([path, 422]);
      expectErrorShape(response, path);
    }
    expect((await get(`/analytics/sites/${siteId}/breakdown/props/${encodeURIComponent("' OR 1=1; --")}`)).status).toBe(200);
  });

  test("inverted, huge or incomplete periods, realtime timeseries and too many buckets are 422", async () => {
    for (const query of [
      "stats?period=custom&from=2026-03-10&to=2026-03-01",
      "stats?period=custom&from=2020-01-01&to=2026-03-01",
      "stats?period=custom&from=2026-03-01",
      "stats?period=custom&to=2026-03-01",
      "timeseries?period=realtime",
      "timeseries?period=12mo&interval=hour",
      "breakdown/pages?period=custom&from=2026-03-10&to=2026-03-09",
    ]) {
      const response = await get(`/analytics/sites/${siteId}/${query}`);
      expect([query, response.status]).toEqual([query, 422]);
      expectErrorShape(response, query);
    }
    expect((await get(`/analytics/sites/${siteId}/timeseries?period=30d&interval=hour`)).status).toBe(200);
  });
});
