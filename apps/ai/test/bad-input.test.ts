import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiKeys, jobs, usage, userLimits } from "@lodge/db/schema";
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
import { chatJob, startTestAi, type TestAi } from "./harness";

/**
 * Every operation of the AI service's own OpenAPI document (beyond /ai/v1) is sent missing and bad
 * credentials, a non-admin's token on admin routes, malformed and hostile path, query and body
 * values: each answer is a 4xx in the one error shape (never a 5xx), and nothing changes. No jobs
 * worker runs, so the job made here stays queued.
 */
let t: TestAi;
let user: { id: string; token: string };
let admin: { id: string; token: string };
let keyId: string;
let jobId: string;
let document: OpenApiDocument;
let operations: SweptOperation[] = [];

beforeAll(async () => {
  t = await startTestAi({ jobs: false });
  [user, admin] = await Promise.all([t.issuer.user(), t.issuer.admin()]);
  keyId = (await t.call("POST", "/ai/keys", { token: user.token, body: { name: "k" } })).json.id;
  jobId = (await t.submitJob(user.token, chatJob())).json.id;
  // All but the OpenAI-compatible routes (bad-input-v1.test.ts sweeps those, in OpenAI's error body).
  document = documentPart((await t.call("GET", "/ai/openapi.json")).json, (path) => !path.startsWith("/ai/v1/"));
  operations = operationsOf(document);
});
afterAll(() => t.close());

const fill = (path: string, id: string) => path.replace("{id}", id).replace("{userId}", id);
const snapshot = async () => ({
  keys: await t.db.select().from(apiKeys).orderBy(apiKeys.id),
  limits: await t.db.select().from(userLimits),
  usage: await t.db.select().from(usage),
  jobs: await t.db.select().from(jobs).orderBy(jobs.id),
});

describe("every operation", () => {
  test("the document lists every route, each with its error responses", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual(
      [
        "DELETE /ai/jobs/{id}",
        "DELETE /ai/keys/{id}",
        "GET /ai/admin/keys",
        "GET /ai/admin/usage",
        "GET /ai/admin/users/{userId}/limits",
        "GET /ai/export/{userId}",
        "GET /ai/jobs",
        "GET /ai/jobs/{id}",
        "GET /ai/keys",
        "GET /ai/limits",
        "GET /ai/usage",
        "POST /ai/jobs",
        "POST /ai/keys",
        "PUT /ai/admin/users/{userId}/limits",
      ].sort(),
    );
    for (const methods of Object.values(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(methods)) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["401", "403", "422", "503"]));
    }
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on every route", async () => {
    await sweepAuthorizations({
      routes: operations.map((operation) => [operation.method, fill(operation.path, keyId)] as const),
      token: user.token,
      send: (method, path, headers) => call(t.url, method, path, { headers }),
    });
  });

  test("no token, a bad token, another user's token on a job: 4xx, nothing changed", async () => {
    const before = await snapshot();
    const other = await t.issuer.user();
    for (const operation of operations.filter((candidate) => candidate.path.startsWith("/ai/jobs/{id}"))) {
      for (const token of [undefined, "not-a-token", `${user.token.slice(0, -4)}AAAA`, other.token]) {
        const path = fill(operation.path, jobId);
        expectErrorShape(await call(t.url, operation.method, path, { token }), `${operation.method} ${path} with ${token?.slice(0, 12)}`);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a user's token on admin routes is 403, and changes nothing", async () => {
    const before = await snapshot();
    const body = { rpm: 1, tpm: 1, concurrency: 1, dailyBudgetUsd: 0, monthlyBudgetUsd: 0 };
    for (const operation of operations.filter((candidate) => candidate.path.startsWith("/ai/admin"))) {
      const response = await t.call(operation.method, fill(operation.path, user.id), { token: user.token, body: operation.jsonBody ? body : undefined });
      expect({ route: `${operation.method} ${operation.path}`, status: response.status }).toEqual({
        route: `${operation.method} ${operation.path}`,
        status: 403,
      });
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a service client's token (even with ai:invoke) manages no keys and no limits", async () => {
    const bot = await t.issuer.client("bot-service", ["ai:invoke"]);
    for (const operation of operations.filter((candidate) => candidate.path.startsWith("/ai/keys") || candidate.path.startsWith("/ai/admin"))) {
      const response = await t.call(operation.method, fill(operation.path, keyId), { token: bot, body: operation.jsonBody ? { name: "x" } : undefined });
      expectErrorShape(response, `${operation.method} ${operation.path} as a client`);
      expect(response.status).toBe(403);
    }
  });

  test("malformed ids and hostile path segments are 4xx", async () => {
    for (const operation of operations.filter((candidate) => candidate.path.includes("{"))) {
      for (const id of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "' OR 1=1 --", "😀", "00000000-0000-0000-0000-00000000000g"]) {
        const response = await t.call(operation.method, fill(operation.path, id), { token: admin.token, body: operation.jsonBody ? "{}" : undefined });
        expectErrorShape(response, `${operation.method} ${fill(operation.path, id)}`);
      }
    }
  });

  test("hostile and malformed query values are 4xx", async () => {
    const values = [...hostileStrings.filter((hostile) => hostile.isWellFormed()), "-1", "1e308", "0", "101", "[]", "2026-03-10"];
    for (const operation of operations.filter((candidate) => candidate.method === "GET" && candidate.query.length > 0)) {
      for (const name of operation.query) {
        for (const value of values) {
          const path = `${fill(operation.path, user.id)}?${name}=${encodeURIComponent(value)}`;
          expectErrorShape(await t.call("GET", path, { token: admin.token }), `GET ${path.slice(0, 80)}`);
        }
      }
    }
  });

  test("the kit's body sweep: malformed, mistyped, incomplete, oversized and hostile JSON bodies are 4xx and change nothing", async () => {
    const before = await snapshot();
    const swept = await sweepDocument({
      document,
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, fill(operation.path, user.id), { body, token: admin.token, headers }),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "POST /ai/jobs",
      "POST /ai/keys",
      "PUT /ai/admin/users/{userId}/limits",
    ]);
    expect(await snapshot()).toEqual(before);
  });

  test("job bodies: hostile kinds, messages, models and prompts are 4xx and make no job", async () => {
    const before = await snapshot();
    for (const hostile of hostileStrings) {
      for (const body of [
        { kind: hostile, request: { model: "gpt-test", messages: [{ role: "user", content: "x" }] } },
        { kind: "chat", request: { model: "gpt-test", messages: hostile } },
        { kind: "chat", request: { model: hostile.length > 256 ? hostile : 42, messages: [{ role: "user", content: "x" }] } },
        { kind: "image", request: { model: "img", prompt: hostile.length > 32_000 ? hostile : ["not", "a", "string"] } },
      ]) {
        expectErrorShape(await t.submitJob(user.token, body), `POST /ai/jobs ${JSON.stringify(body).slice(0, 60)}`);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("key bodies: bad names, expiries and limits are 422 and make no key", async () => {
    const before = await snapshot();
    for (const body of [
      { name: "" },
      { name: "   " },
      { name: "a".repeat(101) },
      { name: "bidi \u202Eevil" },
      { name: "k", expiresAt: "tomorrow" },
      { name: "k", expiresAt: 1_900_000_000 },
      { name: "k", limits: { rpm: 0 } },
      { name: "k", limits: { rpm: 1.5 } },
      { name: "k", limits: { tpm: -1 } },
      { name: "k", limits: { concurrency: 1e9 } },
      { name: "k", limits: { budget: 1 } },
      { name: "k", limits: null },
    ]) {
      const response = await t.call("POST", "/ai/keys", { token: user.token, body });
      expect({ body, status: response.status }).toEqual({ body, status: 422 });
    }
    expect(await snapshot()).toEqual(before);
  });

  test("limit bodies: every field is required (null for the default); negative, fractional or huge values are 422", async () => {
    const before = await snapshot();
    const valid = { rpm: 10, tpm: 1000, concurrency: 2, dailyBudgetUsd: 1.5, monthlyBudgetUsd: 20 };
    const { rpm: _, ...withoutRpm } = valid;
    for (const body of [
      withoutRpm,
      { ...valid, rpm: 0 },
      { ...valid, rpm: 2.5 },
      { ...valid, tpm: "1000" },
      { ...valid, concurrency: -1 },
      { ...valid, dailyBudgetUsd: -0.01 },
      { ...valid, monthlyBudgetUsd: 1e12 },
      { ...valid, extra: 1 },
    ]) {
      const response = await t.call("PUT", `/ai/admin/users/${user.id}/limits`, { token: admin.token, body });
      expect({ body, status: response.status }).toEqual({ body, status: 422 });
    }
    expect(await snapshot()).toEqual(before);
  });
});
