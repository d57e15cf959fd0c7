/**
 * The product-event and funnel/retention routes get bad tokens and malformed, mistyped, oversized
 * and hostile bodies, ids and query values: each answer is a 4xx in the one error shape (never a
 * 5xx), and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { sites } from "@lodge/db/schema";
import {
  call,
  documentPart,
  expectErrorShape,
  hostileStrings,
  type OpenApiDocument,
  operationsOf,
  type SweptOperation,
  sweepAuthorizations,
  sweepDocument,
} from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let admin: { id: string; token: string };
let siteId: string;
let document: OpenApiDocument;
let operations: SweptOperation[];

const mine = (path: string) =>
  ["/analytics/track", "/analytics/me/activity", "/analytics/funnels", "/analytics/retention"].includes(path) ||
  path === "/analytics/sites/{id}/funnels" ||
  path === "/analytics/sites/{id}/retention";
const fill = (path: string, id = siteId) => path.replace("{id}", id);
const validBody: Record<string, unknown> = {
  "/analytics/track": { name: "Clicked" },
  "/analytics/funnels": { steps: [{ event: "a" }, { event: "b" }] },
  "/analytics/sites/{id}/funnels": { steps: [{ page: "/" }, { event: "b" }] },
};
const stored = async () => (await queryRows<{ count: number }>(t.db, sql`select count(*)::int as count from analytics.events`))[0]?.count;

beforeAll(async () => {
  t = await startTestAnalytics();
  admin = await t.issuer.admin();
  const [site] = await t.db.insert(sites).values({ domain: "sweep.example", name: "Sweep", siteKey: "sweep-key" }).returning();
  siteId = site?.id as string;
  document = documentPart((await t.call("GET", "/analytics/openapi.json")).json, mine);
  operations = operationsOf(document);
});
afterAll(() => t.close());

describe("the product and funnel routes", () => {
  test("are in the document, each with its error responses", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "GET /analytics/me/activity",
      "GET /analytics/retention",
      "GET /analytics/sites/{id}/retention",
      "POST /analytics/funnels",
      "POST /analytics/sites/{id}/funnels",
      "POST /analytics/track",
    ]);
    for (const methods of Object.values(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(methods)) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["401", "403", "422"]));
    }
  });

  test("missing, garbage, tampered and alg:none tokens are 401 on every route (with a valid body)", async () => {
    await sweepAuthorizations({
      routes: operations.map((operation) => [operation.method, operation.path] as const),
      // A user's token: tampering raises it to admin, which must not pass.
      token: (await t.user()).token,
      send: (method, path, headers) => call(t.url, method, fill(path), { headers, body: validBody[path] }),
    });
  });

  test("the kit's body sweep: 4xx everywhere, nothing stored", async () => {
    const before = await stored();
    const swept = await sweepDocument({
      document,
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, fill(operation.path), { body, token: admin.token, headers }),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "POST /analytics/funnels",
      "POST /analytics/sites/{id}/funnels",
      "POST /analytics/track",
    ]);
    expect(await stored()).toBe(before);
  });

  test("hostile step values, names and props are refused or taken as the text they are (never a 5xx), and nothing is stored", async () => {
    const before = await stored();
    for (const hostile of hostileStrings) {
      for (const [path, body] of [
        ["/analytics/sites/{id}/funnels", { steps: [{ page: `/${hostile}` }, { event: hostile }] }],
        ["/analytics/sites/{id}/funnels", { steps: [{ page: "/*" }, { event: "x", props: { [hostile.slice(0, 300) || "k"]: hostile } }] }],
        ["/analytics/funnels", { steps: [{ event: hostile }, { event: "x", props: { k: hostile } }], timeZone: hostile }],
        ["/analytics/track", { name: hostile, props: { k: 1 } }],
      ] as const) {
        const response = await t.call("POST", fill(path), { token: admin.token, body });
        if (response.status !== 200) expectErrorShape(response, `${path} ${JSON.stringify(hostile).slice(0, 20)}`);
      }
    }
    expect(await stored()).toBe(before);
  });

  test("hostile and malformed query values and path ids are 4xx", async () => {
    const values = [...hostileStrings.filter((hostile) => hostile.isWellFormed()), "-1", "1e308", "0", "[]", "2026-02-30", "9999-99-99"];
    for (const operation of operations.filter((candidate) => candidate.method === "GET")) {
      for (const name of operation.query.filter((query) => query !== "share")) {
        for (const value of values) {
          const path = `${fill(operation.path)}?${name}=${encodeURIComponent(value)}`;
          const response = await t.call("GET", path, { token: admin.token });
          expectErrorShape(response, `GET ${path.slice(0, 80)}`);
        }
      }
    }
    for (const operation of operations.filter((candidate) => candidate.path.includes("{id}"))) {
      for (const id of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "' OR 1=1 --", "😀", "00000000-0000-0000-0000-00000000000g"]) {
        const response = await t.call(operation.method, fill(operation.path, id), { token: admin.token, body: validBody[operation.path] });
        expectErrorShape(response, `${operation.method} ${fill(operation.path, id)}`);
      }
    }
  });
});
