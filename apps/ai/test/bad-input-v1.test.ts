import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  call,
  documentPart,
  type OpenApiDocument,
  operationsOf,
  type Reply,
  type SweptOperation,
  sweepAuthorizations,
  sweepDocument,
} from "@lodge/kit/testing";
import { startTestAi, type TestAi, testRegistry } from "./harness";

/**
 * Every operation of the AI service's OpenAPI document is sent bad credentials and the kit's
 * bad-input sweep of bodies: each answer is a 4xx (never a 5xx) in OpenAI's error body on /ai/v1,
 * and nothing reaches the upstream.
 */
let t: TestAi;
let token: string;
let document: OpenApiDocument;
let operations: SweptOperation[] = [];

beforeAll(async () => {
  t = await startTestAi({ registry: testRegistry });
  token = (await t.user()).token;
  // The OpenAI-compatible routes; bad-input.test.ts sweeps the rest of /ai in Lodge's error shape.
  document = documentPart((await t.call("GET", "/ai/openapi.json")).json, (path) => path.startsWith("/ai/v1/"));
  operations = operationsOf(document);
});
afterAll(() => t.close());

/** A 4xx in OpenAI's error body, with Lodge's request id. */
function expectOpenAiError(response: Reply, label: string) {
  if (response.status < 400 || response.status >= 500) throw new Error(`${label}: expected a 4xx, got ${response.status} ${response.text.slice(0, 200)}`);
  const error = response.json?.error;
  expect({ label, message: typeof error?.message, type: typeof error?.type, code: "code" in (error ?? {}), param: "param" in (error ?? {}) }).toEqual({
    label,
    message: "string",
    type: "string",
    code: true,
    param: true,
  });
  expect(typeof response.json?.requestId).toBe("string");
}

describe("every operation", () => {
  test("the document lists every route, each with its error responses in OpenAI's body", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "GET /ai/v1/models",
      "POST /ai/v1/chat/completions",
      "POST /ai/v1/embeddings",
      "POST /ai/v1/images/generations",
    ]);
    for (const methods of Object.values(
      document.paths as Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: { $ref?: string } }> }> }>>,
    )) {
      for (const operation of Object.values(methods)) {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["400", "401", "403", "413", "415", "503"]));
        expect(operation.responses["401"]?.content["application/json"]?.schema.$ref).toBe("#/components/schemas/OpenAiError");
      }
    }
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in OpenAI's body on every route", async () => {
    await sweepAuthorizations({
      routes: operations.map((operation) => [operation.method, operation.path] as const),
      token,
      send: (method, path, headers) => call(t.url, method, path, { headers }),
      expectShape: expectOpenAiError,
    });
  });

  test("the kit's body sweep: malformed, mistyped, incomplete, oversized and hostile JSON bodies are 4xx, and none reaches the upstream", async () => {
    const sent = t.fake.requests.length;
    const swept = await sweepDocument({
      document,
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, operation.path, { body, token, headers }),
      expectShape: expectOpenAiError,
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "POST /ai/v1/chat/completions",
      "POST /ai/v1/embeddings",
      "POST /ai/v1/images/generations",
    ]);
    expect(t.fake.requests.length).toBe(sent);
  });

  test("a chunked body past the limit is cut off while it is read: 413 in OpenAI's body", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1000));
    const body = new ReadableStream({
      start(controller) {
        for (let index = 0; index < 100; index++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${t.url}/ai/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
    });
    const reply = { status: response.status, headers: response.headers, text: "", json: await response.json() };
    expect(reply.status).toBe(413);
    expectOpenAiError(reply, "chunked");
  });

  test("an unknown route under /ai/v1 answers in OpenAI's body; the rest of /ai keeps Lodge's error shape", async () => {
    const openAi = await t.call("GET", "/ai/v1/nothing-here", { token });
    expect(openAi.status).toBe(404);
    expectOpenAiError(openAi, "unknown /ai/v1 route");
    const lodge = await t.call("GET", "/ai/nothing-here", { token });
    expect(lodge.status).toBe(404);
    expect(lodge.json.error.code).toBe("NOT_FOUND");
  });

  test("a service client token that names no user (X-Lodge-User) is refused with 403", async () => {
    const client = await t.issuer.client("bot", ["ai:invoke"]);
    const reply = await t.call("GET", "/ai/v1/models", { token: client });
    expect(reply.status).toBe(403);
    expectOpenAiError(reply, "client token");
  });
});
