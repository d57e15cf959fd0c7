import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jobs } from "@lodge/db/schema";
import {
  call,
  expectErrorShape,
  hostileStrings,
  type OpenApiDocument,
  operationsOf,
  type SweptOperation,
  sweepAuthorizations,
  sweepDocument,
} from "@lodge/kit/testing";
import { startTestAi, type TestAi } from "./harness";

/**
 * Every /ai/jobs operation of the AI service's OpenAPI document is sent missing and bad
 * credentials, another user's ids, malformed and hostile path and body values: each answer is a
 * 4xx in the one error shape (never a 5xx), and no job is added or changed. No worker runs, so
 * the jobs made here stay queued.
 */
let t: TestAi;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let jobId: string;
let document: OpenApiDocument;
let operations: SweptOperation[] = [];

beforeAll(async () => {
  t = await startTestAi({ jobs: false });
  [alice, bob] = await Promise.all([t.issuer.user(), t.issuer.user()]);
  jobId = (await t.submitJob(alice.token, { kind: "chat", request: { model: "gpt-test", messages: [{ role: "user", content: "hi" }] } })).json.id;
  document = (await t.call("GET", "/ai/openapi.json")).json;
  operations = operationsOf(document).filter((operation) => operation.path.startsWith("/ai/jobs"));
});
afterAll(() => t.close());

const fill = (path: string, id: string) => path.replace("{id}", id);
const snapshot = () => t.db.select().from(jobs).orderBy(jobs.id);

function expect4xx(response: { status: number; json: { error?: Record<string, unknown> } }, label: string) {
  if (response.status < 400 || response.status >= 500) throw new Error(`${label}: expected a 4xx, got ${response.status} ${JSON.stringify(response.json)}`);
  expectErrorShape(response, label);
}

describe("every jobs operation", () => {
  test("the document lists each, with its error responses", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual(
      ["DELETE /ai/jobs/{id}", "GET /ai/jobs", "GET /ai/jobs/{id}", "POST /ai/jobs"].sort(),
    );
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      if (!path.startsWith("/ai/jobs")) continue;
      for (const operation of Object.values(methods)) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["401", "403", "422", "503"]));
    }
  });

  test("no token, a bad token, another user's token: 4xx on every route about a job, nothing changed", async () => {
    const before = await snapshot();
    for (const operation of operations.filter((candidate) => candidate.path.includes("{id}"))) {
      for (const token of [undefined, "not-a-token", `${alice.token.slice(0, -4)}AAAA`, bob.token]) {
        expect4xx(
          await call(t.url, operation.method, fill(operation.path, jobId), { token }),
          `${operation.method} ${operation.path} with ${token?.slice(0, 12)}`,
        );
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("malformed ids and hostile path segments are 4xx", async () => {
    for (const operation of operations.filter((candidate) => candidate.path.includes("{id}"))) {
      for (const id of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "00000000-0000-0000-0000-000000000000", crypto.randomUUID(), "' OR 1=1 --", "😀"]) {
        expect4xx(await call(t.url, operation.method, fill(operation.path, id), { token: alice.token }), `${operation.method} ${fill(operation.path, id)}`);
      }
    }
  });

  test("hostile queries on the list are 4xx", async () => {
    for (const query of ["limit=0", "limit=-1", "limit=abc", "limit=101", "cursor=not-a-uuid", `cursor=${encodeURIComponent("' OR 1=1 --")}`]) {
      expect4xx(await call(t.url, "GET", `/ai/jobs?${query}`, { token: alice.token }), query);
    }
  });

  test("the kit's body sweep and hostile requests: 4xx, no job added", async () => {
    const before = await snapshot();
    const swept = await sweepDocument({
      document: { ...document, paths: Object.fromEntries(Object.entries(document.paths as object).filter(([path]) => path.startsWith("/ai/jobs"))) },
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, fill(operation.path, jobId), { body, token: alice.token, headers }),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`)).toEqual(["POST /ai/jobs"]);
    for (const hostile of hostileStrings) {
      for (const body of [
        { kind: hostile, request: { model: "gpt-test", messages: [{ role: "user", content: "x" }] } },
        { kind: "chat", request: { model: "gpt-test", messages: hostile } },
        { kind: "chat", request: { model: hostile.length > 256 ? hostile : 42, messages: [{ role: "user", content: "x" }] } },
        { kind: "image", request: { model: "img", prompt: hostile.length > 32_000 ? hostile : ["not", "a", "string"] } },
      ]) {
        expect4xx(await t.submitJob(alice.token, body), `POST /ai/jobs ${JSON.stringify(body).slice(0, 60)}`);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on every route", async () => {
    await sweepAuthorizations({
      routes: operations.map((operation) => [operation.method, fill(operation.path, jobId)] as const),
      token: alice.token,
      send: (method, path, headers) => call(t.url, method, path, { headers }),
    });
  });
});
