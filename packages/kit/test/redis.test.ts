import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectRedis, createApp, createLogger, createMetrics, type Redis } from "@lodge/kit";
import { type createTcpProxy, createTestRedis, eventually, proxyFor } from "@lodge/kit/testing";

/**
 * Redis reached through a proxy that can hang: connections stay open and nothing is answered, as
 * with a half-open connection to a peer that died without a FIN. A request must answer 503 (not
 * hang), and the client must recover by itself once the peer answers again.
 */
let proxy: ReturnType<typeof createTcpProxy>;
let redis: Redis;
let url: string;
let server: ReturnType<typeof Bun.serve>;
let testRedis: Awaited<ReturnType<typeof createTestRedis>>;

beforeAll(async () => {
  testRedis = await createTestRedis();
  proxy = proxyFor();
  redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`, { commandTimeoutMs: 300 });
  const logger = createLogger({ service: "kit-redis-test", level: "silent" });
  const app = createApp({
    service: "kit-redis-test",
    logger,
    metrics: createMetrics("kit-redis-test"),
    corsOrigins: [],
    trustedProxies: [],
    bodyLimitBytes: 1024,
  });
  app.get("/count", async (c) => c.json({ count: await redis.incr(`${testRedis.prefix}count`) }));
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  url = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.stop(true);
  redis.disconnect();
  proxy.stop();
  await testRedis.cleanup();
});

describe("a Redis that stops answering", () => {
  test("a hung command is a 503 with Retry-After, and the client recovers by itself", async () => {
    expect((await fetch(`${url}/count`)).status).toBe(200);
    proxy.hang();
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(`${url}/count`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNAVAILABLE");
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    proxy.restore();
    await eventually(async () => (await fetch(`${url}/count`)).status === 200);
  });

  test("commands issued together go out as one pipeline, each with its own answer or error", async () => {
    const key = `${testRedis.prefix}pipelined`;
    const results = await Promise.allSettled([redis.set(key, "1"), redis.incr(key), redis.hset(key, "field", "x"), redis.get(key)]);
    expect(results.map((result) => (result.status === "fulfilled" ? result.value : "error"))).toEqual(["OK", 2, "error", "2"]);
  });

  test("blocking reads on connections made from the client's options do not inherit its command timeout", async () => {
    expect(redis.options.commandTimeout).toBe(300);
    // As the event bus makes its blocking connections.
    const copy = redis.duplicate({ enableOfflineQueue: true });
    copy.on("error", () => {});
    try {
      expect(copy.options.commandTimeout).toBeUndefined();
      expect({ ...redis.options }.socketTimeout).toBeUndefined();
      // Nor its auto-pipelining: a command must not queue behind a blocked read.
      expect([redis.options.enableAutoPipelining, copy.options.enableAutoPipelining]).toEqual([true, false]);
      // BLOCK 600 outlasts the 300 ms command timeout: it ends with no entries, not with an error.
      expect(await copy.xread("BLOCK", 600, "STREAMS", `${testRedis.prefix}nothing`, "$")).toBeNull();
    } finally {
      copy.disconnect();
    }
  });
});
