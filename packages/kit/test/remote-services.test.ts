import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError, connectToServices, createLogger } from "@lodge/kit";

/**
 * The service-to-service client against real local HTTP servers: a stand-in for auth's
 * POST /auth/token that counts the tokens it issues, and a peer that echoes what it was sent,
 * stalls, or fails on request.
 */
const logger = createLogger({ service: "kit-remote-test", level: "silent" });
const CLIENT = { id: "notification", secret: "notification-secret-0123456789abcdef" };
const TOKEN_LIFETIME_SECONDS = 900;

let issued: string[] = [];
let tokenRequests: { body: unknown; requestId: string | null }[] = [];
/** Released at the end, so the hanging handlers finish. */
let release: () => void;
const released = new Promise<void>((resolve) => {
  release = resolve;
});
let server: ReturnType<typeof Bun.serve>;
let closedPort: number;
let now = Date.parse("2026-12-01T00:00:00Z");
const clock = () => new Date(now);

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname === "/auth/token") {
        tokenRequests.push({ body: await request.json(), requestId: request.headers.get("x-request-id") });
        const token = `token-${issued.length + 1}`;
        issued.push(token);
        return Response.json({ accessToken: token, tokenType: "Bearer", expiresIn: TOKEN_LIFETIME_SECONDS });
      }
      const bearer = request.headers.get("authorization")?.replace("Bearer ", "");
      if (pathname === "/files/echo") {
        return Response.json({
          authorization: request.headers.get("authorization"),
          requestId: request.headers.get("x-request-id"),
          actingFor: request.headers.get("x-lodge-user"),
          contentType: request.headers.get("content-type"),
          body: request.body ? await request.text() : null,
        });
      }
      // Accepts only the newest token, as a service does after auth rotated its key.
      if (pathname === "/files/newest-only") return bearer === issued.at(-1) ? Response.json({ bearer }) : Response.json({ error: {} }, { status: 401 });
      if (pathname === "/files/hang") {
        await released;
        return new Response("late");
      }
      if (pathname === "/files/stall") {
        return new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode('{"partial":'));
              await released;
              controller.close();
            },
          }),
          { headers: { "content-type": "application/json" } },
        );
      }
      if (pathname === "/files/broken") return new Response("upstream exploded", { status: 502 });
      return Response.json({ error: { code: "NOT_FOUND" } }, { status: 404 });
    },
  });
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  closedPort = listener.port;
  listener.stop(true);
});
afterAll(() => {
  release();
  server.stop(true);
});

function connect(overrides: { timeoutMs?: number; urls?: { auth: string; file: string } } = {}) {
  issued = [];
  tokenRequests = [];
  return connectToServices({
    urls: overrides.urls ?? { auth: server.url.origin, file: server.url.origin },
    client: CLIENT,
    timeoutMs: overrides.timeoutMs ?? 5000,
    logger,
    clock,
  });
}

async function failure(action: () => Promise<unknown>): Promise<ApiError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("the token", () => {
  test("is fetched with the client credentials once for concurrent callers, then reused", async () => {
    const remote = connect();
    const replies = await Promise.all(Array.from({ length: 8 }, () => remote.call("file", "/files/echo", { method: "GET" })));
    expect(tokenRequests).toEqual([{ body: { clientId: CLIENT.id, clientSecret: CLIENT.secret }, requestId: null }]);
    expect(replies.map((reply) => (reply.json as { authorization: string }).authorization)).toEqual(Array(8).fill("Bearer token-1"));
    await remote.call("file", "/files/echo", { method: "GET" });
    expect(issued).toEqual(["token-1"]);
  });

  test("is renewed a minute before it expires, on the service's clock", async () => {
    const remote = connect();
    await remote.call("file", "/files/echo", { method: "GET" });
    now += (TOKEN_LIFETIME_SECONDS - 61) * 1000;
    expect(((await remote.call("file", "/files/echo", { method: "GET" })).json as { authorization: string }).authorization).toBe("Bearer token-1");
    now += 1000;
    expect(((await remote.call("file", "/files/echo", { method: "GET" })).json as { authorization: string }).authorization).toBe("Bearer token-2");
    expect(issued).toEqual(["token-1", "token-2"]);
  });

  test("a call refused with 401 is retried once with a new token", async () => {
    const remote = connect();
    await remote.call("file", "/files/echo", { method: "GET" });
    // Another instance of this service had a token issued meanwhile: this one's is no longer the newest.
    issued.push("token-elsewhere");
    const reply = await remote.call("file", "/files/newest-only", { method: "GET" });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ bearer: "token-3" });
    expect(tokenRequests).toHaveLength(2);
  });

  test("token() hands out the cached token; one named refused is fetched anew, once, and only if it is still the cached one", async () => {
    const remote = connect();
    await remote.call("file", "/files/echo", { method: "GET" });
    expect(await remote.token()).toBe("token-1");
    const [first, second] = await Promise.all([remote.token({ refused: "token-1" }), remote.token({ refused: "token-1", requestId: "req-9" })]);
    expect([first, second]).toEqual(["token-2", "token-2"]);
    // A refusal of an older token than the cached one keeps the cached one.
    expect(await remote.token({ refused: "token-1" })).toBe("token-2");
    expect(issued).toEqual(["token-1", "token-2"]);
    expect(((await remote.call("file", "/files/echo", { method: "GET" })).json as { authorization: string }).authorization).toBe("Bearer token-2");
  });
});

describe("headers", () => {
  test("the request id and the user acted for are sent on; a body goes as JSON", async () => {
    const remote = connect();
    const reply = await remote.call("file", "/files/echo", {
      method: "POST",
      body: { public: true },
      requestId: "req-123",
      actingFor: "0190a0b0-0000-7000-8000-000000000001",
    });
    expect(reply.json).toEqual({
      authorization: "Bearer token-1",
      requestId: "req-123",
      actingFor: "0190a0b0-0000-7000-8000-000000000001",
      contentType: "application/json",
      body: '{"public":true}',
    });
    // The token request that call caused carries the same request id.
    expect(tokenRequests.map((request) => request.requestId)).toEqual(["req-123"]);
    const plain = await remote.call("file", "/files/echo", { method: "GET" });
    expect(plain.json).toMatchObject({ requestId: null, actingFor: null, contentType: null });
  });

  test("bytes go as they are, with their content type", async () => {
    const reply = await connect().call("file", "/files/echo", {
      method: "POST",
      bytes: { data: new TextEncoder().encode("raw bytes"), contentType: "text/plain" },
    });
    expect(reply.json).toMatchObject({ contentType: "text/plain", body: "raw bytes" });
  });
});

describe("a peer that is down", () => {
  test("one that does not answer in time is a 503 with Retry-After", async () => {
    const remote = connect({ timeoutMs: 200 });
    const error = await failure(() => remote.call("file", "/files/hang", { method: "GET" }));
    expect({ code: error.code, status: error.status, retryAfter: error.retryAfter }).toEqual({ code: "UNAVAILABLE", status: 503, retryAfter: 5 });
    expect(error.message).toContain("file");
  });

  test("one that sends headers and then stalls its body is a 503, not a reply without a body", async () => {
    const remote = connect({ timeoutMs: 200 });
    const error = await failure(() => remote.call("file", "/files/stall", { method: "GET" }));
    expect({ code: error.code, retryAfter: error.retryAfter }).toEqual({ code: "UNAVAILABLE", retryAfter: 5 });
  });

  test("a 5xx and a refused connection are 503s; auth being unreachable names auth", async () => {
    const remote = connect();
    expect((await failure(() => remote.call("file", "/files/broken", { method: "GET" }))).code).toBe("UNAVAILABLE");
    const closed = `http://127.0.0.1:${closedPort}`;
    const noFile = connect({ urls: { auth: server.url.origin, file: closed } });
    expect((await failure(() => noFile.call("file", "/files/echo", { method: "GET" }))).message).toContain("file");
    const noAuth = connect({ urls: { auth: closed, file: server.url.origin } });
    const error = await failure(() => noAuth.call("file", "/files/echo", { method: "GET" }));
    expect({ code: error.code, retryAfter: error.retryAfter }).toEqual({ code: "UNAVAILABLE", retryAfter: 5 });
    expect(error.message).toContain("auth");
  });

  test("a 4xx is the caller's to read, not an outage", async () => {
    const reply = await connect().call("file", "/files/unknown", { method: "GET" });
    expect(reply).toMatchObject({ status: 404, json: { error: { code: "NOT_FOUND" } } });
  });
});
