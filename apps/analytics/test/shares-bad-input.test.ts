import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { siteShares, sites } from "@lodge/db/schema";
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
import { startTestAnalytics, type TestAnalytics } from "./harness";

/**
 * The tracker script's and the share links' routes get malformed, mistyped, oversized and hostile
 * bodies, ids and query values and bad tokens: each answer is a 4xx in the one error shape (never
 * a 5xx), and nothing is stored that should not be.
 */
let t: TestAnalytics;
let owner: { id: string; token: string };
let stranger: { id: string; token: string };
let siteId: string;
let shareId: string;
let document: OpenApiDocument;
let operations: SweptOperation[];

const mine = (path: string) => path === "/analytics/script.js" || path.startsWith("/analytics/sites/{id}/shares");
const fill = (path: string, id: string, share = shareId) => path.replace("{id}", id).replace("{shareId}", share);
const shares = () => t.db.select().from(siteShares);

beforeAll(async () => {
  t = await startTestAnalytics();
  [owner, stranger] = await Promise.all([t.user(), t.user()]);
  siteId = Bun.randomUUIDv7();
  await t.db.insert(sites).values({ id: siteId, domain: "sweep.example", name: "Sweep", siteKey: "sweep-key", ownerId: owner.id });
  shareId = (await t.call("POST", `/analytics/sites/${siteId}/shares`, { token: owner.token, body: {} })).json.id;
  document = documentPart((await t.call("GET", "/analytics/openapi.json")).json, mine);
  operations = operationsOf(document);
});
afterAll(() => t.close());

describe("the tracker's and share links' routes", () => {
  test("are in the document, each with its error responses", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "DELETE /analytics/sites/{id}/shares/{shareId}",
      "GET /analytics/script.js",
      "GET /analytics/sites/{id}/shares",
      "POST /analytics/sites/{id}/shares",
    ]);
    for (const methods of Object.values(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(methods)) expect(Object.keys(operation.responses)).toContain("422");
    }
  });

  test("the kit's body sweep (as a user who may not manage the site, so a valid body is 403): 4xx everywhere, nothing stored", async () => {
    const before = await shares();
    const swept = await sweepDocument({
      document,
      // Over BODY_LIMIT_BYTES' default (64 KiB).
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, fill(operation.path, siteId), { body, token: stranger.token, headers }),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`)).toEqual(["POST /analytics/sites/{id}/shares"]);
    expect(await shares()).toEqual(before);
  });

  test("a hostile label from the owner is refused, or stored as the text it is", async () => {
    for (const hostile of hostileStrings) {
      const response = await t.call("POST", `/analytics/sites/${siteId}/shares`, { token: owner.token, body: { label: hostile } });
      if (response.status === 201) expect(response.json.label).toBe(hostile.trim());
      else expectErrorShape(response, `label ${JSON.stringify(hostile).slice(0, 20)}`);
    }
    for (const body of ['{"label": ', '{"label": "x", "siteId": "other"}', "[]", JSON.stringify({ label: "x".repeat(201) })]) {
      expectErrorShape(await t.call("POST", `/analytics/sites/${siteId}/shares`, { token: owner.token, body }), body.slice(0, 30));
    }
  });

  test("malformed ids and hostile path segments are 4xx for the owner", async () => {
    const before = await shares();
    for (const operation of operations.filter((candidate) => candidate.path.includes("{"))) {
      for (const id of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --", "😀"]) {
        const paths = operation.path.includes("{shareId}") ? [fill(operation.path, id), fill(operation.path, siteId, id)] : [fill(operation.path, id)];
        for (const path of paths) {
          const response = await t.call(operation.method, path, { token: owner.token, body: operation.jsonBody ? {} : undefined });
          expectErrorShape(response, `${operation.method} ${path}`);
        }
      }
    }
    expect(await shares()).toEqual(before);
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on every guarded route", async () => {
    await sweepAuthorizations({
      routes: operations
        .filter((operation) => operation.path !== "/analytics/script.js")
        .map((operation) => [operation.method, fill(operation.path, siteId)] as const),
      token: owner.token,
      send: (method, path, headers) => call(t.url, method, path, { headers }),
    });
  });

  test("the script ignores hostile query values and conditional headers: never a 5xx", async () => {
    for (const value of [...hostileStrings.filter((hostile) => !/[\ud800-\udfff]/.test(hostile) || /😀/.test(hostile)), "1e99", "-1"]) {
      const response = await t.call("GET", `/analytics/script.js?v=${encodeURIComponent(value)}`);
      expect(response.status).toBe(200);
    }
    for (const ifNoneMatch of ["", ",,,", "W/", '"', "x".repeat(4000), "' OR 1=1 --"]) {
      expect((await t.call("GET", "/analytics/script.js", { headers: { "if-none-match": ifNoneMatch } })).status).toBe(200);
    }
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      expectErrorShape(await t.call(method, "/analytics/script.js", { body: "{}" }), `${method} /analytics/script.js`);
    }
  });
});
