import { describe, expect, test } from "bun:test";
import { EnvError, fragments, httpEnv, parseEnv, serviceEnv, z } from "@lodge/config";

function failure(source: Record<string, string | undefined>): string {
  try {
    parseEnv(serviceEnv, source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as Error).message;
  }
  throw new Error("parseEnv accepted an invalid environment");
}

describe("parseEnv", () => {
  test("names every missing variable in one message", () => {
    const message = failure({});
    expect(message).toContain("DATABASE_URL: is required but not set");
    expect(message).toContain("REDIS_URL: is required but not set");
  });

  test("names every invalid variable and never prints a value", () => {
    const secret = "s3cr3t-hunter2-do-not-print";
    const message = failure({
      DATABASE_URL: `mysql://admin:${secret}@db/lodge`,
      REDIS_URL: `${secret}`,
      LOG_LEVEL: secret,
      BODY_LIMIT_BYTES: `-${secret}`,
      DATABASE_POOL_SIZE: "0",
    });
    for (const name of ["DATABASE_URL", "REDIS_URL", "LOG_LEVEL", "BODY_LIMIT_BYTES", "DATABASE_POOL_SIZE"]) expect(message).toContain(`${name}:`);
    expect(message).not.toContain(secret);
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("is required but not set");
  });

  test("a missing and an invalid variable are reported together", () => {
    const message = failure({ REDIS_URL: "http://not-redis" });
    expect(message).toContain("DATABASE_URL: is required but not set");
    expect(message).toMatch(/REDIS_URL: (?!is required)/);
    expect(message).not.toContain("not-redis");
  });

  test("defaults apply", () => {
    const env = parseEnv(serviceEnv, { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/lodge", REDIS_URL: "redis://127.0.0.1:6379" });
    expect(env).toMatchObject({
      NODE_ENV: "development",
      HOST: "0.0.0.0",
      LOG_LEVEL: "info",
      CORS_ORIGINS: [],
      TRUSTED_PROXIES: ["127.0.0.1", "::1"],
      BODY_LIMIT_BYTES: 64 * 1024,
      DATABASE_POOL_SIZE: 10,
      REDIS_PREFIX: "lodge:",
      JWT_ISSUER: "lodge",
      JWT_AUDIENCE: "lodge",
      JWKS_URL: "http://127.0.0.1:3001/.well-known/jwks.json",
    });
  });

  test("numbers are coerced from strings", () => {
    const env = parseEnv(serviceEnv, {
      DATABASE_URL: "postgresql://postgres@127.0.0.1/lodge",
      REDIS_URL: "rediss://redis.example:6380",
      BODY_LIMIT_BYTES: "1024",
      DATABASE_POOL_SIZE: "3",
    });
    expect(env.BODY_LIMIT_BYTES).toBe(1024);
    expect(env.DATABASE_POOL_SIZE).toBe(3);
  });

  test("reads process.env by default", () => {
    const name = `LODGE_TEST_${crypto.randomUUID().slice(0, 8)}`;
    process.env[name] = "from process";
    try {
      expect(parseEnv(z.object({ [name]: z.string() }))).toEqual({ [name]: "from process" });
    } finally {
      delete process.env[name];
    }
  });
});

describe("fragments", () => {
  const schema = z.object({ ITEMS: fragments.list(), FLAG: fragments.bool });

  test("a list is split on commas, trimmed, and empty items dropped", () => {
    expect(parseEnv(schema, { ITEMS: " a.example , b.example,,  ,c " }).ITEMS).toEqual(["a.example", "b.example", "c"]);
    expect(parseEnv(schema, { ITEMS: "" }).ITEMS).toEqual([]);
    expect(parseEnv(schema, {}).ITEMS).toEqual([]);
  });

  test("CIDR and origin lists keep their entries whole", () => {
    const env = parseEnv(httpEnv, { CORS_ORIGINS: "https://app.example.com,http://localhost:3000", TRUSTED_PROXIES: "10.0.0.0/8, 172.16.0.0/12" });
    expect(env.CORS_ORIGINS).toEqual(["https://app.example.com", "http://localhost:3000"]);
    expect(env.TRUSTED_PROXIES).toEqual(["10.0.0.0/8", "172.16.0.0/12"]);
  });

  test("booleans", () => {
    expect(parseEnv(schema, {}).FLAG).toBe(false);
    expect(parseEnv(schema, { FLAG: "true" }).FLAG).toBe(true);
    expect(parseEnv(schema, { FLAG: "1" }).FLAG).toBe(true);
    expect(parseEnv(schema, { FLAG: "0" }).FLAG).toBe(false);
    expect(parseEnv(schema, { FLAG: "" }).FLAG).toBe(false);
    expect(() => parseEnv(schema, { FLAG: "yes-secret" })).toThrow(/FLAG: /);
    expect(() => parseEnv(schema, { FLAG: "yes-secret" })).not.toThrow(/yes-secret/);
  });
});

describe("loadEnv", () => {
  test("prints what is wrong, never a value or a stack, and exits 1", async () => {
    const script = `import { loadEnv, databaseEnv, redisEnv } from "@lodge/config"; loadEnv(databaseEnv.extend(redisEnv.shape)); console.log("unreachable");`;
    const child = Bun.spawn(["bun", "-e", script], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: "mysql://root:pa55-secret-word@db/lodge" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    expect(code).toBe(1);
    expect(stdout).not.toContain("unreachable");
    expect(stderr).toContain("Invalid environment");
    expect(stderr).toContain("DATABASE_URL:");
    expect(stderr).toContain("REDIS_URL: is required but not set");
    expect(stderr).not.toContain("pa55-secret-word");
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
