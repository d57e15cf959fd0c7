import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sites } from "@lodge/db/schema";
import {
  call,
  documentPart,
  eventually,
  expectErrorShape,
  hostileStrings,
  type OpenApiDocument,
  operationsOf,
  type SweptOperation,
  sweepAuthorizations,
  sweepDocument,
} from "@lodge/kit/testing";
import { ingestStream } from "../src/helpers/ingest-stream";
import { startTestAnalytics, type TestAnalytics } from "./harness";

/**
 * The sites' routes and the ingest get malformed, mistyped, oversized and hostile bodies, ids and
 * query values and bad tokens: each answer is a 4xx in the one error shape (never a 5xx), and
 * nothing is stored or queued. No writer runs, so whatever the ingest queued would stay in the stream.
 */
let t: TestAnalytics;
let admin: { id: string; token: string };
let user: { id: string; token: string };
let siteId: string;
let document: OpenApiDocument;
let operations: SweptOperation[];

const mine = (path: string) => path === "/analytics/sites" || path === "/analytics/sites/{id}" || path === "/analytics/events";
const fill = (path: string, id: string) => path.replace("{id}", id);
const snapshot = async () => ({ sites: await t.db.select().from(sites).orderBy(sites.id), queued: await t.redis.xlen(ingestStream(t.prefix)) });

beforeAll(async () => {
  t = await startTestAnalytics({ writer: false });
  [admin, user] = await Promise.all([t.issuer.admin(), t.issuer.user()]);
  siteId = (await t.call("POST", "/analytics/sites", { token: admin.token, body: { domain: "sweep.example", name: "Sweep" } })).json.id;
  document = documentPart((await t.call("GET", "/analytics/openapi.json")).json, mine);
  operations = operationsOf(document);
});
afterAll(() => t.close());

const guarded = () => operations.filter((operation) => operation.path.startsWith("/analytics/sites"));

describe("the sites' and the ingest's routes", () => {
  test("are in the document, each with its error responses", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "DELETE /analytics/sites/{id}",
      "GET /analytics/sites",
      "GET /analytics/sites/{id}",
      "PATCH /analytics/sites/{id}",
      "POST /analytics/events",
      "POST /analytics/sites",
    ]);
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(methods)) {
        expect(Object.keys(operation.responses)).toEqual(
          expect.arrayContaining(path === "/analytics/events" ? ["403", "413", "422", "429"] : ["401", "403", "422"]),
        );
      }
    }
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on the sites' routes; a user's token is 403", async () => {
    await sweepAuthorizations({
      routes: guarded().map((operation) => [operation.method, fill(operation.path, siteId)] as const),
      token: user.token,
      send: (method, path, headers) => call(t.url, method, path, { headers }),
    });
    const before = await snapshot();
    for (const operation of guarded()) {
      const reply = await t.call(operation.method, fill(operation.path, siteId), {
        token: user.token,
        body: operation.jsonBody ? { domain: "user.example", name: "Mine" } : undefined,
      });
      expect({ route: `${operation.method} ${operation.path}`, status: reply.status }).toEqual({ route: `${operation.method} ${operation.path}`, status: 403 });
    }
    expect(await snapshot()).toEqual(before);
  });

  test("malformed ids and hostile path segments are 4xx", async () => {
    for (const operation of guarded().filter((candidate) => candidate.path.includes("{"))) {
      for (const id of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "' OR 1=1 --", "😀", "00000000-0000-0000-0000-00000000000g"]) {
        const reply = await t.call(operation.method, fill(operation.path, id), { token: admin.token, body: operation.jsonBody ? "{}" : undefined });
        expectErrorShape(reply, `${operation.method} ${fill(operation.path, id)}`);
      }
    }
  });

  test("hostile and malformed query values are 4xx", async () => {
    const values = [...hostileStrings.filter((hostile) => hostile.isWellFormed()), "-1", "1e308", "0", "101", "[]"];
    for (const operation of operations.filter((candidate) => candidate.method === "GET" && candidate.query.length > 0)) {
      for (const name of operation.query) {
        for (const value of values) {
          const path = `${fill(operation.path, siteId)}?${name}=${encodeURIComponent(value)}`;
          expectErrorShape(await t.call("GET", path, { token: admin.token }), `GET ${path.slice(0, 80)}`);
        }
      }
    }
  });

  test("the kit's body sweep: malformed, mistyped, incomplete, oversized and hostile JSON bodies are 4xx, and nothing is stored or queued", async () => {
    const before = await snapshot();
    const swept = await sweepDocument({
      document,
      // Past both the app's limit (sites) and ANALYTICS_MAX_BODY_BYTES (the ingest).
      oversizedBytes: 600_000,
      send: (operation, body, headers) => call(t.url, operation.method, fill(operation.path, siteId), { body, token: admin.token, headers }),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "PATCH /analytics/sites/{id}",
      "POST /analytics/events",
      "POST /analytics/sites",
    ]);
    expect(await snapshot()).toEqual(before);
  });

  test("the ingest with a real siteKey and hostile fields: the events are dropped with reasons, never a 5xx", async () => {
    const site = (await t.call("GET", `/analytics/sites/${siteId}`, { token: admin.token })).json;
    const before = await snapshot();
    for (const hostile of [...hostileStrings, 123, null, [], {}, true]) {
      const events = ["name", "url", "referrer", "props", "screenWidth", "ts"].map((field) => ({
        name: "pageview",
        url: "https://sweep.example/",
        [field]: field === "props" ? { key: hostile } : hostile,
      }));
      const reply = await t.call("POST", "/analytics/events", { body: { siteKey: site.siteKey, events }, headers: { "x-forwarded-for": "192.0.2.1" } });
      expect(reply.status).toBe(202);
    }
    expect((await snapshot()).sites).toEqual(before.sites);
    // What was kept, Postgres takes: a writer stores it all, refusing none.
    const writer = await t.startInstance({ writer: true });
    try {
      await eventually(async () => (await t.redis.xlen(ingestStream(t.prefix))) === 0);
    } finally {
      await writer.close();
    }
    expect(t.logLines.filter((line) => String(line.msg).includes("refused"))).toEqual([]);
  });
});
