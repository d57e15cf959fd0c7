import { startAuthService } from "@lodge/auth";
import { authEnv } from "@lodge/auth/env";
import { parseEnv } from "@lodge/config";
import { profiles, users } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createEventBus } from "@lodge/events";
import { createLogger } from "@lodge/kit";
import { createTestRedis, eventually, call as request } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { userEnv } from "../src/env";
import { startUserService } from "../src/service";
import { startFileStandIn } from "./file-stand-in";

export type TestStack = Awaited<ReturnType<typeof startTestStack>>;
type Options = Parameters<typeof request>[3];

export const CLIENT_ID = "user-service";
export const CLIENT_SECRET = "user-service-test-secret-0123456789";
export const PUBLIC_BASE_URL = "https://lodge.example";

/**
 * The user service with the real auth service beside it, in this process, on random ports: one
 * test database (each service in its own schema) and one Redis prefix, as in production. The user
 * service verifies tokens against auth's JWKS URL and calls auth with its client credentials.
 * `advance` moves the user service's clock (tokens then look older to it).
 */
export async function startTestStack(options: { env?: Record<string, string> } = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const logger = (service: string) => createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const common = { DATABASE_URL: database.url, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: prefix, LOG_LEVEL: "silent" };

  const auth = await startAuthService({
    env: parseEnv(authEnv, {
      ...common,
      AUTH_COOKIE_SECURE: "false",
      AUTH_CLIENTS: `${CLIENT_ID}:${CLIENT_SECRET}:auth:verify_password users:export files:write files:export;other:${CLIENT_SECRET}:users:read`,
    }),
    database,
    redis,
    maintenance: false,
    logger: logger("auth"),
  });
  const authServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: auth.app.fetch });
  const authUrl = `http://127.0.0.1:${authServer.port}`;
  const jwksUrl = `${authUrl}/.well-known/jwks.json`;

  const fileBus = createEventBus({ redis, logger: logger("file"), prefix });
  const files = startFileStandIn({ bus: fileBus, jwksUrl });

  let offsetMs = 0;
  const user = await startUserService({
    env: parseEnv(userEnv, {
      ...common,
      JWKS_URL: jwksUrl,
      AUTH_URL: authUrl,
      FILE_URL: files.url,
      PUBLIC_BASE_URL,
      USER_CLIENT_ID: CLIENT_ID,
      USER_CLIENT_SECRET: CLIENT_SECRET,
      ...options.env,
    }),
    database,
    redis,
    clock: () => new Date(Date.now() + offsetMs),
    logger: logger("user"),
  });
  const userServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: user.app.fetch });
  const url = `http://127.0.0.1:${userServer.port}`;

  const call = (method: string, path: string, options?: Options) => request(url, method, path, options);
  const callAuth = (method: string, path: string, options?: Options) => request(authUrl, method, path, options);

  let counter = 0;
  /** Registers a fresh user at auth; `waitForProfile` waits until the user service has consumed `user.registered`. */
  async function register(overrides: { name?: string; email?: string } = {}) {
    counter += 1;
    const email = overrides.email ?? `user${counter}-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const password = "a perfectly fine password";
    const response = await callAuth("POST", "/auth/register", { body: { email, password, ...(overrides.name ? { name: overrides.name } : {}) } });
    if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.json)}`);
    return {
      email,
      password,
      id: response.json.user.id as string,
      accessToken: response.json.accessToken as string,
      refreshToken: response.json.refreshToken as string,
    };
  }

  /** A fresh admin, signed in after being promoted (as the operator command `admin:create` does, in auth's table). */
  async function admin() {
    const account = await register();
    await database.db.update(users).set({ role: "admin" }).where(eq(users.id, account.id));
    const login = await callAuth("POST", "/auth/login", { body: { email: account.email, password: account.password } });
    return { ...account, accessToken: login.json.accessToken as string };
  }

  return {
    url,
    authUrl,
    call,
    callAuth,
    register,
    admin,
    auth,
    user,
    files,
    database,
    redis,
    prefix,
    db: database.db,
    advance: (ms: number) => {
      offsetMs += ms;
    },
    /** Waits until the user service has the profile from `user.registered` (its email is set). */
    profileArrived: (userId: string) =>
      eventually(async () => {
        const [row] = await database.db.select().from(profiles).where(eq(profiles.userId, userId));
        return row?.email ? row : undefined;
      }),
    close: async () => {
      await userServer.stop(true);
      await user.close();
      await files.close();
      await fileBus.close();
      await authServer.stop(true);
      await auth.close();
      await database.drop();
      await cleanup();
    },
  };
}
