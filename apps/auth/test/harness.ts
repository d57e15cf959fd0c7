import { parseEnv } from "@lodge/config";
import { authOutbox } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";
import { createTestClock, createTestRedis, eventually, call as request } from "@lodge/kit/testing";
import { authEnv } from "../src/env";
import { startAuthService } from "../src/service";

export type TestAuth = Awaited<ReturnType<typeof startTestAuth>>;

/**
 * A real auth service on a random port, with a database and Redis key prefix of its own.
 * Its clock can be moved forward (`advance`) or stopped while work runs (`frozen`): see createTestClock.
 */
export async function startTestAuth(env: Record<string, string> = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const { now: clock, advance, frozen } = createTestClock();
  const parsed = parseEnv(authEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    AUTH_COOKIE_SECURE: "false",
    LOG_LEVEL: "silent",
    CORS_ORIGINS: "https://app.example.com",
    ...env,
  });
  const service = await startAuthService({
    env: parsed,
    database,
    redis,
    clock,
    maintenance: false,
    logger: createLogger({ service: "auth", level: process.env.TEST_LOG_LEVEL ?? "silent" }),
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch });
  const url = `http://127.0.0.1:${server.port}`;

  const call = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(url, method, path, options);

  let counter = 0;
  /** Registers a fresh user and returns its token pair. */
  async function register(overrides: { email?: string; password?: string; name?: string } = {}) {
    counter += 1;
    const email = overrides.email ?? `user${counter}-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const password = overrides.password ?? "a perfectly fine password";
    const response = await call("POST", "/auth/register", { body: { email, password, ...(overrides.name ? { name: overrides.name } : {}) } });
    if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.json)}`);
    return { email, password, ...response.json } as { email: string; password: string; accessToken: string; refreshToken: string; user: { id: string } };
  }

  return {
    url,
    call,
    register,
    service,
    deps: service.deps,
    database,
    redis,
    prefix,
    /** Once every queued password-reset request is handled and what it enqueued is published. */
    passwordResetsSettled: async () => {
      await eventually(async () =>
        Object.values(await service.deps.passwordResets.getJobCounts("waiting", "active", "delayed", "prioritized")).every((count) => count === 0),
      );
      await eventually(async () => (await service.deps.db.select({ id: authOutbox.id }).from(authOutbox).limit(1)).length === 0);
    },
    advance,
    frozen,
    close: async () => {
      await server.stop(true);
      await service.close();
      await database.drop();
      await cleanup();
    },
  };
}
