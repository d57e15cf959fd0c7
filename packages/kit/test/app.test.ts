import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRoute, z } from "@hono/zod-openapi";
import { createDatabase } from "@lodge/db";
import {
  ApiError,
  createApp,
  createLogger,
  createMetrics,
  createRouter,
  errorResponses,
  jsonBody,
  jsonResponse,
  mountOpenApi,
  mountOperations,
  Redis,
} from "@lodge/kit";
import { eventually } from "@lodge/kit/testing";

const allowedOrigin = "https://app.example.com";
const bodyLimitBytes = 1024;

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

let server: ReturnType<typeof Bun.serve>;
let url: string;
let draining = false;
let dependencyDown = false;
let dependencyHangs = false;
// biome-ignore lint/suspicious/noExplicitAny: log lines are inspected field by field
const logLines: any[] = [];
const metrics = createMetrics("kit-test");
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  const app = createApp({
    service: "kit-test",
    logger: createLogger({ service: "kit-test", level: "info", destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } }),
    metrics,
    corsOrigins: [allowedOrigin],
    trustedProxies: ["127.0.0.1"],
    bodyLimitBytes,
  });
  mountOperations(app, {
    metrics,
    checks: {
      alwaysOk: async () => {},
      dependency: async () => {
        if (dependencyDown) throw new Error("down");
        if (dependencyHangs) await new Promise(() => {});
      },
    },
    isDraining: () => draining,
  });

  const Item = z.object({ id: z.string(), name: z.string(), count: z.number() });
  const createItem = createRoute({
    method: "post",
    path: "/items",
    request: { body: jsonBody(z.object({ name: z.string().min(1).max(50), count: z.number().int(), tags: z.array(z.string()).optional() }).strict()) },
    responses: { 201: jsonResponse(Item, "Created"), ...errorResponses() },
  });
  app.openapi(createItem, (c) => c.json({ id: "1", ...c.req.valid("json") }, 201));

  const getItem = createRoute({
    method: "get",
    path: "/items/{id}",
    request: { params: z.object({ id: z.string().regex(/^\d+$/) }) },
    responses: { 200: jsonResponse(Item, "Found"), ...errorResponses(404) },
  });
  app.openapi(getItem, (c) => c.json({ id: c.req.valid("param").id, name: "thing", count: 1 }, 200));

  const port = await closedPort();
  const postgres = await createDatabase({ url: `postgres://postgres@127.0.0.1:${port}/nothing`, poolSize: 1 });
  const redis = new Redis({ host: "127.0.0.1", port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  redis.on("error", () => {});
  closers.push(
    () => postgres.close(),
    () => redis.disconnect(),
  );

  app.get("/boom", () => {
    throw new Error("secret internal detail: password=hunter2");
  });
  app.get("/postgres-down", async (c) => {
    await postgres.ping();
    return c.json({ reached: true });
  });
  app.get("/redis-down", async (c) => {
    await redis.get("anything");
    return c.json({ reached: true });
  });
  app.get("/limited", () => {
    throw new ApiError({ code: "RATE_LIMITED", message: "Too many", retryAfter: 7 });
  });
  app.get("/whoami", (c) => c.json({ ip: c.get("clientIp")(), requestId: c.get("requestId") }));

  // A route group mounted the way services mount theirs.
  const group = createRouter();
  group.openapi(
    createRoute({ method: "get", path: "/groups/{groupId}/members/{memberId}", responses: { 200: jsonResponse(z.object({ ok: z.boolean() }), "Found") } }),
    (c) => c.json({ ok: true }, 200),
  );
  app.route("/", group);
  mountOpenApi(app, { prefix: "/kit", title: "Kit test" });

  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  url = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.stop(true);
  for (const close of closers) await close();
});

// biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json };
}

const post = (path: string, body: string | ReadableStream | undefined, contentType: string | null = "application/json") =>
  call(path, { method: "POST", body, headers: contentType ? { "content-type": contentType } : {} });

function expectErrorShape(response: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  expect(Object.keys(response.json)).toEqual(["error"]);
  expect(response.json.error.code).toBe(code);
  expect(typeof response.json.error.message).toBe("string");
  expect(response.json.error.requestId).toBeTruthy();
  expect(response.json.error.requestId).toBe(response.headers.get("x-request-id"));
}

describe("request bodies", () => {
  test("a valid body reaches the handler", async () => {
    const response = await post("/items", JSON.stringify({ name: "lamp", count: 2 }));
    expect(response.status).toBe(201);
    expect(response.json).toEqual({ id: "1", name: "lamp", count: 2 });
  });

  test("a media type with parameters or a +json suffix is accepted", async () => {
    expect((await post("/items", JSON.stringify({ name: "a", count: 1 }), "application/json; charset=utf-8")).status).toBe(201);
    expect((await post("/items", JSON.stringify({ name: "a", count: 1 }), "Application/JSON")).status).toBe(201);
  });

  test("malformed JSON is a 400 VALIDATION_FAILED", async () => {
    for (const body of ['{"name": "lamp",', "not json at all", "{'single': 'quotes'}"]) {
      const response = await post("/items", body);
      expectErrorShape(response, 400, "VALIDATION_FAILED");
      expect(response.text).not.toContain("single");
    }
  });

  test("wrong types and missing fields are a 422 with details that never echo the input", async () => {
    const secret = "hostile-value-\u0000<script>alert(1)</script>";
    const response = await post("/items", JSON.stringify({ name: 12345678, count: secret, tags: [42] }));
    expectErrorShape(response, 422, "VALIDATION_FAILED");
    const details = response.json.error.details as { path: string; message: string }[];
    expect(details.map((detail) => detail.path).sort()).toEqual(["count", "name", "tags.0"]);
    for (const detail of details) expect(Object.keys(detail).sort()).toEqual(["message", "path"]);
    expect(response.text).not.toContain("hostile-value");
    expect(response.text).not.toContain("script");
    expect(response.text).not.toContain("12345678");

    const missing = await post("/items", JSON.stringify({}));
    expectErrorShape(missing, 422, "VALIDATION_FAILED");
    expect(missing.json.error.details.map((detail: { path: string }) => detail.path).sort()).toEqual(["count", "name"]);
  });

  test("a JSON value that is not an object is a 422, not a 500", async () => {
    for (const body of ["null", "[]", '"a string"', "42"]) expectErrorShape(await post("/items", body), 422, "VALIDATION_FAILED");
  });

  test("an invalid path parameter is a 422", async () => {
    const response = await call("/items/not-a-number");
    expectErrorShape(response, 422, "VALIDATION_FAILED");
    expect(response.json.error.details[0].path).toBe("id");
    expect(response.text).not.toContain("not-a-number");
  });

  test("a body that is not JSON is a 415", async () => {
    expectErrorShape(await post("/items", "name=lamp&count=2", "application/x-www-form-urlencoded"), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectErrorShape(await post("/items", JSON.stringify({ name: "a", count: 1 }), "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectErrorShape(await post("/items", JSON.stringify({ name: "a", count: 1 }), null), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  test("a body over the limit is a 413 (with Content-Length)", async () => {
    const response = await post("/items", JSON.stringify({ name: "a", count: 1, tags: ["x".repeat(bodyLimitBytes)] }));
    expectErrorShape(response, 413, "PAYLOAD_TOO_LARGE");
  });

  test("a streamed body over the limit is a 413 (chunked, no Content-Length)", async () => {
    const chunk = new TextEncoder().encode(`{"name":"a","count":1,"tags":["${"x".repeat(300)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far more than the limit, in small chunks, so the server can only tell by counting.
        if (sent >= 20) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const response = await post("/items", stream);
    expectErrorShape(response, 413, "PAYLOAD_TOO_LARGE");
  });

  test("a streamed body under the limit is accepted", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ name: "streamed", count: 3 }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 5));
        controller.enqueue(bytes.subarray(5));
        controller.close();
      },
    });
    const response = await post("/items", stream);
    expect(response.status).toBe(201);
    expect(response.json.name).toBe("streamed");
  });
});

describe("raw bodies (rawBody option)", () => {
  let rawServer: ReturnType<typeof Bun.serve>;
  let rawUrl: string;
  beforeAll(() => {
    const rawMetrics = createMetrics("kit-raw-test");
    const app = createApp({
      service: "kit-raw-test",
      logger: createLogger({ service: "kit-raw-test", level: "silent" }),
      metrics: rawMetrics,
      corsOrigins: [allowedOrigin],
      trustedProxies: [],
      bodyLimitBytes,
      rawBody: ({ method, path }) => method === "POST" && path === "/uploads",
      cors: { allowHeaders: ["Upload-Offset"], exposeHeaders: ["Location"] },
    });
    // The route reads the stream itself and counts what it received.
    app.post("/uploads", async (c) => {
      let size = 0;
      for await (const chunk of c.req.raw.body ?? []) size += chunk.length;
      return c.json({ size, contentType: c.req.header("content-type") ?? null }, 201);
    });
    app.post("/json", async (c) => c.json(await c.req.json(), 201));
    rawServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
    rawUrl = `http://127.0.0.1:${rawServer.port}`;
  });
  afterAll(() => rawServer.stop(true));

  const send = async (path: string, body: RequestInit["body"], contentType: string | null) => {
    const response = await fetch(`${rawUrl}${path}`, { method: "POST", body, headers: contentType ? { "content-type": contentType } : {} });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  test("an opted-in route takes any content type and a body over the app-wide limit, streamed or not", async () => {
    const big = new Uint8Array(bodyLimitBytes * 50).fill(1);
    expect(await send("/uploads", big, "application/octet-stream")).toEqual({
      status: 201,
      json: { size: big.length, contentType: "application/octet-stream" },
    });
    const chunks = [big.subarray(0, 1000), big.subarray(1000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    expect((await send("/uploads", stream, "multipart/form-data; boundary=x")).json.size).toBe(big.length);
    expect((await send("/uploads", "plain", null)).json.size).toBe(5);
  });

  test("every other route keeps the JSON-only rule and the limit", async () => {
    expect((await send("/json", "a=1", "application/x-www-form-urlencoded")).status).toBe(415);
    expect((await send("/json", JSON.stringify({ tags: "x".repeat(bodyLimitBytes) }), "application/json")).status).toBe(413);
    expect((await send("/json", JSON.stringify({ ok: true }), "application/json")).json).toEqual({ ok: true });
  });

  test("extra CORS headers are allowed and exposed for allowed origins", async () => {
    const preflight = await fetch(`${rawUrl}/uploads`, {
      method: "OPTIONS",
      headers: { origin: allowedOrigin, "access-control-request-method": "POST", "access-control-request-headers": "upload-offset" },
    });
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Upload-Offset");
    const response = await fetch(`${rawUrl}/uploads`, { method: "POST", body: "x", headers: { origin: allowedOrigin } });
    expect(response.headers.get("access-control-expose-headers")).toContain("Location");
  });
});

describe("errors", () => {
  test("an unknown route is a 404 NOT_FOUND", async () => {
    expectErrorShape(await call("/no/such/route"), 404, "NOT_FOUND");
    expectErrorShape(await post("/no/such/route", "{}"), 404, "NOT_FOUND");
  });

  test("an unknown error is a 500 INTERNAL that leaks nothing", async () => {
    const response = await call("/boom");
    expectErrorShape(response, 500, "INTERNAL");
    expect(response.json.error.message).toBe("Internal error");
    expect(response.json.error.details).toBeUndefined();
    expect(response.text).not.toContain("hunter2");
    expect(response.text).not.toContain("secret");
    expect(response.text).not.toContain("app.test.ts");
  });

  test("a Postgres connection failure is a 503 UNAVAILABLE with Retry-After", async () => {
    const response = await call("/postgres-down");
    expectErrorShape(response, 503, "UNAVAILABLE");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(response.text).not.toContain("ECONNREFUSED");
  });

  test("a Redis connection failure is a 503 UNAVAILABLE with Retry-After", async () => {
    const response = await call("/redis-down");
    expectErrorShape(response, 503, "UNAVAILABLE");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("RATE_LIMITED is a 429 with Retry-After", async () => {
    const response = await call("/limited");
    expectErrorShape(response, 429, "RATE_LIMITED");
    expect(response.headers.get("retry-after")).toBe("7");
  });
});

describe("request ids", () => {
  test("every response carries one, and errors repeat it", async () => {
    const ok = await call("/whoami");
    expect(ok.headers.get("x-request-id")).toBe(ok.json.requestId);
    const a = await call("/nope");
    const b = await call("/nope");
    expect(a.json.error.requestId).not.toBe(b.json.error.requestId);
  });

  test("a sane incoming X-Request-Id is kept", async () => {
    for (const id of ["abc-123", "req_01HX.9:z", "a".repeat(128)]) {
      const response = await call("/nope", { headers: { "x-request-id": id } });
      expect(response.headers.get("x-request-id")).toBe(id);
      expect(response.json.error.requestId).toBe(id);
    }
  });

  test("a hostile incoming X-Request-Id is replaced", async () => {
    for (const id of ["a".repeat(129), "has spaces in it", "tab\there", "<script>", 'quote"d', "semi;colon", "ünïcode"]) {
      const response = await call("/nope", { headers: { "x-request-id": id } });
      const echoed = response.headers.get("x-request-id") ?? "";
      expect(echoed).not.toBe(id);
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.json.error.requestId).toBe(echoed);
    }
  });

  test("a request id folded over two lines never reaches a response header", async () => {
    const socketResponse = await new Promise<string>((resolve, reject) => {
      let received = "";
      Bun.connect({
        hostname: "127.0.0.1",
        port: server.port as number,
        socket: {
          open(socket) {
            socket.write(`GET /whoami HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\n injected: yes\r\nConnection: close\r\n\r\n`);
          },
          data(_socket, data) {
            received += data.toString();
          },
          close() {
            resolve(received);
          },
          error(_socket, error) {
            reject(error);
          },
        },
      }).catch(reject);
    });
    expect(socketResponse.toLowerCase()).not.toContain("injected");
    const header = socketResponse.match(/^x-request-id: (.*)$/im)?.[1]?.trim();
    if (header !== undefined) expect(header === "abc" || /^[0-9a-f-]{36}$/.test(header)).toBe(true);
  });
});

describe("CORS", () => {
  test("an allowed origin gets Allow-Origin and Allow-Credentials", async () => {
    const response = await call("/whoami", { headers: { origin: allowedOrigin } });
    expect(response.headers.get("access-control-allow-origin")).toBe(allowedOrigin);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  test("an allowed origin's preflight is answered", async () => {
    const response = await call("/items", {
      method: "OPTIONS",
      headers: { origin: allowedOrigin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(allowedOrigin);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
  });

  test("a disallowed origin's preflight gets no CORS grant at all", async () => {
    const response = await call("/items", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(response.status).toBeLessThan(500);
    for (const header of ["access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods", "access-control-allow-headers"]) {
      expect(response.headers.get(header)).toBeNull();
    }
  });

  test("a disallowed origin's request gets no Allow-Origin or Allow-Credentials", async () => {
    const response = await call("/whoami", { headers: { origin: "https://evil.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("vary")).toContain("Origin");
  });
});

describe("client ip", () => {
  test("the direct peer, or X-Forwarded-For from a trusted proxy", async () => {
    expect((await call("/whoami")).json.ip).toBe("127.0.0.1");
    // The test client connects from 127.0.0.1, which this app trusts.
    expect((await call("/whoami", { headers: { "x-forwarded-for": "203.0.113.9, 127.0.0.1" } })).json.ip).toBe("203.0.113.9");
  });
});

describe("operations", () => {
  test("/health answers 200", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: "ok" });
  });

  test("/ready is 200 when every check passes, 503 with Retry-After when one fails or while draining", async () => {
    const ok = await call("/ready");
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ status: "ok", checks: { alwaysOk: "ok", dependency: "ok" } });
    expect(ok.headers.get("retry-after")).toBeNull();

    dependencyDown = true;
    try {
      const down = await call("/ready");
      expect(down.status).toBe(503);
      expect(Number(down.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(down.json).toEqual({ status: "unavailable", checks: { alwaysOk: "ok", dependency: "down" } });
    } finally {
      dependencyDown = false;
    }

    draining = true;
    try {
      const drainingResponse = await call("/ready");
      expect(drainingResponse.status).toBe(503);
      expect(Number(drainingResponse.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(drainingResponse.json.status).toBe("draining");
    } finally {
      draining = false;
    }
    expect((await call("/ready")).status).toBe(200);
  });

  test("/metrics labels requests with the route template, never the raw path", async () => {
    await call("/items/4242");
    await call("/items/4343");
    await call("/items/not-a-number");
    await call("/unmatched/secret-path-9999");
    const response = await call("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const lines = response.text.split("\n").filter((line) => line.startsWith("http_request_duration_seconds_count"));
    expect(lines.some((line) => line.includes('route="/items/:id"') && line.includes('status="200"') && line.includes('method="GET"'))).toBe(true);
    expect(lines.some((line) => line.includes('route="/items/:id"') && line.includes('status="422"'))).toBe(true);
    expect(lines.some((line) => line.includes('route="unmatched"') && line.includes('status="404"'))).toBe(true);
    // The path, not the bare number: sample values (sums, memory sizes) may contain any digits.
    expect(response.text).not.toContain("/items/4242");
    expect(response.text).not.toContain("secret-path");
    expect(response.text).not.toContain("not-a-number");
    expect(response.text).toContain('service="kit-test"');
    // Default process metrics are collected too.
    expect(response.text).toContain("process_cpu_user_seconds_total");
  });
});

describe("the event loop's delay", () => {
  test("a stall of the event loop shows in nodejs_eventloop_lag_max_seconds (short by at most the 100 ms between samples)", async () => {
    // Each scrape reads the samples since the one before; the stall's lands in the first after the sampler runs again.
    const lagMax = async () => Number((await call("/metrics")).text.match(/^nodejs_eventloop_lag_max_seconds\{[^}]*\} (\S+)$/m)?.[1]);
    await eventually(async () => (await lagMax()) > 0); // The sampler is running.
    const stallMs = 400;
    const until = performance.now() + stallMs;
    while (performance.now() < until) {}
    await eventually(async () => (await lagMax()) >= (stallMs - 100) / 1000);
  });
});

describe("readiness with a hung dependency", () => {
  test("a check that never answers counts as down", async () => {
    dependencyHangs = true;
    try {
      const response = await call("/ready");
      expect(response.status).toBe(503);
      expect(response.json.checks).toEqual({ alwaysOk: "ok", dependency: "down" });
    } finally {
      dependencyHangs = false;
    }
  });
});

describe("route groups and the OpenAPI document", () => {
  test("a mounted group's route is labelled with its full template", async () => {
    expect((await call("/groups/g-77/members/m-88")).status).toBe(200);
    const metricsText = (await call("/metrics")).text;
    expect(metricsText).toContain('route="/groups/:groupId/members/:memberId"');
    expect(metricsText).not.toContain("g-77");
  });

  test("the document lists routes with their error responses in the one error shape", async () => {
    const response = await call("/kit/openapi.json");
    expect(response.status).toBe(200);
    expect(response.json.openapi).toBe("3.1.0");
    expect(response.json.info.title).toBe("Kit test");
    expect(Object.keys(response.json.paths)).toEqual(expect.arrayContaining(["/items", "/items/{id}", "/groups/{groupId}/members/{memberId}"]));
    const responses = response.json.paths["/items/{id}"].get.responses;
    expect(Object.keys(responses).sort()).toEqual(["200", "400", "404", "413", "415", "422", "503"]);
    expect(responses["422"].content["application/json"].schema.$ref).toBe("#/components/schemas/Error");
    expect(response.json.components.schemas.Error.properties.error.required).toEqual(expect.arrayContaining(["code", "message", "requestId"]));
    expect(response.json.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  });
});

describe("request logs", () => {
  test("one line per request with requestId, route template, status and duration", async () => {
    const response = await call("/items/31337", { headers: { "x-request-id": "log-line-test" } });
    expect(response.status).toBe(200);
    const line = logLines.find((entry) => entry.requestId === "log-line-test");
    expect(line).toMatchObject({ service: "kit-test", msg: "request", method: "GET", route: "/items/:id", path: "/items/31337", status: 200, level: 30 });
    expect(typeof line.ms).toBe("number");
    expect(logLines.filter((entry) => entry.requestId === "log-line-test")).toHaveLength(1);
  });

  test("a 500 is logged at error level with the error; the response stays bare", async () => {
    const response = await call("/boom", { headers: { "x-request-id": "boom-log-test" } });
    expect(response.status).toBe(500);
    const lines = logLines.filter((entry) => entry.requestId === "boom-log-test");
    expect(lines.find((entry) => entry.msg === "request failed")?.err.message).toContain("secret internal detail");
    expect(lines.find((entry) => entry.msg === "request")).toMatchObject({ status: 500, level: 50 });
  });

  test("operations endpoints are not logged", async () => {
    for (const path of ["/health", "/ready", "/metrics"]) await call(path, { headers: { "x-request-id": `ops-${path.slice(1)}` } });
    expect(logLines.filter((entry) => String(entry.requestId).startsWith("ops-"))).toEqual([]);
  });
});

describe("a dialect (dialect option)", () => {
  let dialectServer: ReturnType<typeof Bun.serve>;
  let dialectUrl: string;
  beforeAll(() => {
    const app = createApp({
      service: "kit-dialect-test",
      logger: createLogger({ service: "kit-dialect-test", level: "silent" }),
      metrics: createMetrics("kit-dialect-test"),
      corsOrigins: [],
      trustedProxies: [],
      bodyLimitBytes,
      // Another API's error body under /other/, and larger bodies there.
      dialect: {
        prefix: "/other/",
        bodyLimitBytes: bodyLimitBytes * 4,
        render: (c, error) => c.json({ failure: { kind: error.code, text: error.message } }, error.status),
      },
    });
    for (const path of ["/other/echo", "/echo"]) app.post(path, async (c) => c.json(await c.req.json(), 201));
    app.get("/other/fails", () => {
      throw new ApiError({ code: "CONFLICT", message: "Taken" });
    });
    dialectServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
    dialectUrl = `http://127.0.0.1:${dialectServer.port}`;
  });
  afterAll(() => dialectServer.stop(true));

  const post = async (path: string, body: string, contentType = "application/json") => {
    const response = await fetch(`${dialectUrl}${path}`, { method: "POST", body, headers: { "content-type": contentType } });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  test("errors under the prefix (thrown, unknown routes, body checks) are rendered in the dialect's body; elsewhere in the one shape", async () => {
    expect(await fetch(`${dialectUrl}/other/fails`).then(async (response) => [response.status, await response.json()])).toEqual([
      409,
      { failure: { kind: "CONFLICT", text: "Taken" } },
    ]);
    expect(await fetch(`${dialectUrl}/other/nothing`).then(async (response) => [response.status, await response.json()])).toEqual([
      404,
      { failure: { kind: "NOT_FOUND", text: "No such route" } },
    ]);
    expect(await post("/other/echo", "a=b", "application/x-www-form-urlencoded")).toMatchObject({
      status: 415,
      json: { failure: { kind: "UNSUPPORTED_MEDIA_TYPE" } },
    });
    expect(await post("/echo", "a=b", "application/x-www-form-urlencoded")).toMatchObject({ status: 415, json: { error: { code: "UNSUPPORTED_MEDIA_TYPE" } } });
  });

  test("bodies under the prefix may be up to the dialect's limit; the rest of the app keeps its own", async () => {
    const body = JSON.stringify({ padding: "x".repeat(bodyLimitBytes * 2) });
    expect((await post("/other/echo", body)).status).toBe(201);
    expect(await post("/echo", body)).toMatchObject({ status: 413, json: { error: { code: "PAYLOAD_TOO_LARGE" } } });
    const tooBig = JSON.stringify({ padding: "x".repeat(bodyLimitBytes * 5) });
    expect(await post("/other/echo", tooBig)).toMatchObject({ status: 413, json: { failure: { kind: "PAYLOAD_TOO_LARGE" } } });
  });
});
