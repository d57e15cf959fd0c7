import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEnv } from "@lodge/config";
import { createDatabase } from "@lodge/db";
import { createTestDatabase } from "@lodge/db/testing";
import { connectRedis, createLogger } from "@lodge/kit";
import { createTcpProxy, createTestRedis, eventually, readStream } from "@lodge/kit/testing";
import { authEnv } from "../src/env";
import { startAuthService } from "../src/service";

/**
 * Postgres and Redis reached through proxies the test can cut: while one is down the service
 * answers 503 with Retry-After (never 500, never a hang), /ready says so, and once it is back
 * the service recovers by itself, with no restart and nothing acknowledged lost.
 */
let postgresProxy: ReturnType<typeof createTcpProxy>;
let redisProxy: ReturnType<typeof createTcpProxy>;
let url: string;
let cleanup: () => Promise<void>;
let readEvents: (type: string) => ReturnType<typeof readStream>;

beforeAll(async () => {
  const database = await createTestDatabase();
  const testRedis = await createTestRedis();
  const target = new URL(database.url);
  postgresProxy = createTcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) });
  redisProxy = createTcpProxy({ hostname: "127.0.0.1", port: 6379 });
  const proxiedDatabaseUrl = new URL(database.url);
  proxiedDatabaseUrl.hostname = "127.0.0.1";
  proxiedDatabaseUrl.port = String(postgresProxy.port);
  const proxiedRedisUrl = `redis://127.0.0.1:${redisProxy.port}`;
  const env = parseEnv(authEnv, {
    DATABASE_URL: proxiedDatabaseUrl.toString(),
    REDIS_URL: proxiedRedisUrl,
    REDIS_PREFIX: testRedis.prefix,
    AUTH_COOKIE_SECURE: "false",
  });
  const proxiedDatabase = await createDatabase({ url: env.DATABASE_URL, poolSize: 4 });
  const redis = await connectRedis(proxiedRedisUrl);
  const service = await startAuthService({
    env,
    database: proxiedDatabase,
    redis,
    maintenance: false,
    logger: createLogger({ service: "auth", level: "silent" }),
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch });
  url = `http://127.0.0.1:${server.port}`;
  readEvents = (type) => readStream(testRedis.redis, testRedis.prefix, type);
  cleanup = async () => {
    await server.stop(true);
    await service.close();
    redis.disconnect();
    await proxiedDatabase.close();
    postgresProxy.stop();
    redisProxy.stop();
    await database.drop();
    await testRedis.cleanup();
  };
});
afterAll(() => cleanup());

async function post(path: string, body: unknown) {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), json: (await response.json()) as { error?: { code: string } } };
}

describe("a dependency goes down and comes back", () => {
  test("Redis down: 503 with Retry-After and /ready 503; back: requests succeed again", async () => {
    expect((await post("/auth/register", { email: "before@example.com", password: "long enough password" })).status).toBe(201);
    redisProxy.cut();
    const down = await post("/auth/login", { email: "before@example.com", password: "long enough password" });
    expect(down.status).toBe(503);
    expect(down.json.error?.code).toBe("UNAVAILABLE");
    expect(Number(down.retryAfter)).toBeGreaterThan(0);
    expect((await fetch(`${url}/ready`)).status).toBe(503);
    redisProxy.restore();
    await eventually(async () => (await post("/auth/login", { email: "before@example.com", password: "long enough password" })).status === 200);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });

  test("Postgres down: 503 and no partial write; back: recovers, and events of what committed are published", async () => {
    postgresProxy.cut();
    const down = await post("/auth/register", { email: "during@example.com", password: "long enough password" });
    expect(down.status).toBe(503);
    expect(down.json.error?.code).toBe("UNAVAILABLE");
    expect((await fetch(`${url}/ready`)).status).toBe(503);
    postgresProxy.restore();
    await eventually(async () => (await post("/auth/register", { email: "during@example.com", password: "long enough password" })).status === 201);
    const emails = async () => (await readEvents("user.registered")).map((event) => event.data.email);
    await eventually(async () => (await emails()).includes("during@example.com"));
    expect((await emails()).filter((email) => email === "during@example.com")).toHaveLength(1);
  });
});
