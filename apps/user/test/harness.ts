import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAiService } from "@lodge/ai";
import { aiEnv } from "@lodge/ai/env";
import { startAnalyticsService } from "@lodge/analytics";
import { analyticsEnv } from "@lodge/analytics/env";
import { startAuthService } from "@lodge/auth";
import { authEnv } from "@lodge/auth/env";
import { startBotService } from "@lodge/bot";
import { botEnv } from "@lodge/bot/env";
import { parseEnv } from "@lodge/config";
import type { Database } from "@lodge/db";
import { files as fileRows, knownFiles, profiles, users } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { startFileService } from "@lodge/file";
import { fileEnv } from "@lodge/file/env";
import { connectRedis, createLogger, type Redis } from "@lodge/kit";
import { createTestClock, createTestRedis, eventually, proxyFor, call as request, startTestIssuer, testRedisUrl } from "@lodge/kit/testing";
import { startNotificationService } from "@lodge/notification";
import { notificationEnv } from "@lodge/notification/env";
import { eq } from "drizzle-orm";
import { userEnv } from "../src/env";
import { startUserService } from "../src/service";

export type TestStack = Awaited<ReturnType<typeof startTestStack>>;
type Options = Parameters<typeof request>[3];

export const CLIENT_ID = "user-service";
export const CLIENT_SECRET = "user-service-test-secret-0123456789";

/**
 * Other services' clients and their scopes: `other` may only read public profiles, `notifications`
 * reads notification settings, `bot` acts for users on their profile and preferences (X-Lodge-User).
 */
const otherClients = { other: ["users:read"], notifications: ["users:settings"], bot: ["users:preferences"] } as const;
type OtherClient = keyof typeof otherClients;

/** Small test files, as bytes the file service sniffs for what they are. */
export const samples = {
  png: Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64"),
  pdf: Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>'),
};

/**
 * The user service with the real auth, file, notification, AI and analytics services beside it, in this process,
 * on random ports: one test database (each service in its own schema), one Redis prefix and a
 * temporary storage directory, as in production. The user service verifies tokens against auth's
 * JWKS URL and calls auth, file, notification, ai and analytics with its client credentials; avatar URLs point at
 * the file service. The notification service keeps its emails queued (no email worker, no SMTP):
 * what the user tests need of it is its inbox, its part of the saga and of the export; of the AI
 * service (no provider configured) and the analytics service, their parts of the saga and of the export.
 * `advance` moves the user service's clock (tokens then look older to it); `advanceAuth` moves the
 * auth service's (what it signs then carries the later time); `advanceFile` the file service's (its
 * event retries' backoff runs on it). With `redisProxy`, the services reach Redis through a proxy
 * the test can cut (`stack.redisProxy`); `redis` stays direct. `env` is the user service's own;
 * `sharedEnv` goes to every service.
 */
export async function startTestStack(options: { env?: Record<string, string>; sharedEnv?: Record<string, string>; redisProxy?: boolean } = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const redisProxy = options.redisProxy ? proxyFor() : undefined;
  const redisUrl = redisProxy ? `redis://127.0.0.1:${redisProxy.port}` : testRedisUrl;
  const serviceRedis = redisProxy ? await connectRedis(redisUrl) : redis;
  const logger = (service: string) => createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const common = { DATABASE_URL: database.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: "silent", ...options.sharedEnv };

  const authClock = createTestClock();
  const auth = await startAuthService({
    env: parseEnv(authEnv, {
      ...common,
      AUTH_COOKIE_SECURE: "false",
      AUTH_CLIENTS: [
        `${CLIENT_ID}:${CLIENT_SECRET}:auth:verify_password users:export files:write files:export notifications:export ai:export analytics:export bot:export`,
        ...Object.entries(otherClients).map(([id, scopes]) => `${id}:${CLIENT_SECRET}:${scopes.join(" ")}`),
      ].join(";"),
    }),
    database,
    redis: serviceRedis,
    clock: authClock.now,
    maintenance: false,
    logger: logger("auth"),
  });
  const authServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: auth.app.fetch });
  const authUrl = `http://127.0.0.1:${authServer.port}`;
  const jwksUrl = `${authUrl}/.well-known/jwks.json`;

  const directory = await mkdtemp(join(tmpdir(), "lodge-user-files-"));
  const fileClock = createTestClock();
  const file = await startFileService({
    env: parseEnv(fileEnv, {
      ...common,
      JWKS_URL: jwksUrl,
      FILE_STORAGE_DIR: directory,
      FILE_SIGNING_SECRET: "user-test-signing-secret-0123456789abcdef",
      FILE_METADATA_CACHE_MS: "0",
    }),
    database,
    redis: serviceRedis,
    jobs: false,
    clock: fileClock.now,
    logger: logger("file"),
  });
  const fileServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: file.app.fetch });
  const fileUrl = `http://127.0.0.1:${fileServer.port}`;

  // The user service's port first: the notification service reads settings from it on a miss.
  const userServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("starting", { status: 503 }) });
  const url = `http://127.0.0.1:${userServer.port}`;
  const notification = await startNotificationService({
    env: parseEnv(notificationEnv, {
      ...common,
      JWKS_URL: jwksUrl,
      AUTH_URL: authUrl,
      USER_URL: url,
      NOTIFICATION_CLIENT_ID: "notifications",
      NOTIFICATION_CLIENT_SECRET: CLIENT_SECRET,
    }),
    database,
    redis: serviceRedis,
    jobs: false,
    logger: logger("notification"),
  });
  const notificationServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: notification.app.fetch });
  const notificationUrl = `http://127.0.0.1:${notificationServer.port}`;

  const ai = await startAiService({
    env: parseEnv(aiEnv, { ...common, JWKS_URL: jwksUrl, AUTH_URL: authUrl, FILE_URL: fileUrl }),
    database,
    redis: serviceRedis,
    logger: logger("ai"),
  });
  const aiServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: ai.app.fetch });
  const aiUrl = `http://127.0.0.1:${aiServer.port}`;

  const analytics = await startAnalyticsService({
    env: parseEnv(analyticsEnv, { ...common, JWKS_URL: jwksUrl }),
    database,
    redis: serviceRedis,
    logger: logger("analytics"),
  });
  const analyticsServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: analytics.app.fetch });
  const analyticsUrl = `http://127.0.0.1:${analyticsServer.port}`;

  // Without a Telegram token: the bot's part here is its account data (links), not chats.
  const bot = await startBotService({
    env: parseEnv(botEnv, { ...common, JWKS_URL: jwksUrl }),
    database,
    redis: serviceRedis,
    logger: logger("bot"),
  });
  const botServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: bot.app.fetch });
  const botUrl = `http://127.0.0.1:${botServer.port}`;

  const userClock = createTestClock();
  const { user } = await serveUser({
    env: {
      ...common,
      JWKS_URL: jwksUrl,
      AUTH_URL: authUrl,
      FILE_URL: fileUrl,
      NOTIFICATION_URL: notificationUrl,
      AI_URL: aiUrl,
      ANALYTICS_URL: analyticsUrl,
      BOT_URL: botUrl,
      ...options.env,
    },
    database,
    redis: serviceRedis,
    clock: userClock.now,
    server: userServer,
  });

  const call = (method: string, path: string, options?: Options) => request(url, method, path, options);
  const callAuth = (method: string, path: string, options?: Options) => request(authUrl, method, path, options);
  const callFile = (method: string, path: string, options?: Options) => request(fileUrl, method, path, options);
  const db = database.db;

  /** A service client's token (client credentials at auth). */
  async function client(clientId: OtherClient) {
    const response = await callAuth("POST", "/auth/token", { body: { clientId, clientSecret: CLIENT_SECRET } });
    if (response.status !== 200) throw new Error(`token failed: ${response.status} ${response.text}`);
    return response.json.accessToken as string;
  }

  let counter = 0;
  /** Registers a fresh user at auth. */
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
    await db.update(users).set({ role: "admin" }).where(eq(users.id, account.id));
    const login = await callAuth("POST", "/auth/login", { body: { email: account.email, password: account.password } });
    return { ...account, accessToken: login.json.accessToken as string };
  }

  /** Uploads to the file service as the token's user; resolves once the user service has heard of the file (file.uploaded). */
  async function upload(token: string, kind: keyof typeof samples) {
    const response = await fetch(`${fileUrl}/files?name=${kind}-sample.${kind}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
      body: samples[kind],
    });
    const json = (await response.json()) as { id: string };
    if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${JSON.stringify(json)}`);
    await eventually(async () => (await db.select().from(knownFiles).where(eq(knownFiles.fileId, json.id))).length === 1);
    return json.id;
  }

  return {
    url,
    authUrl,
    fileUrl,
    notificationUrl,
    aiUrl,
    analyticsUrl,
    botUrl,
    call,
    callAuth,
    callFile,
    register,
    admin,
    client,
    upload,
    auth,
    user,
    file,
    notification,
    ai,
    analytics,
    bot,
    database,
    redis,
    redisProxy,
    prefix,
    db,
    advance: userClock.advance,
    advanceAuth: authClock.advance,
    advanceFile: fileClock.advance,
    /** The file service's row for a file. */
    fileRow: async (fileId: string) => (await db.select().from(fileRows).where(eq(fileRows.id, fileId)))[0],
    profileArrived: (userId: string) => profileArrived(db, userId),
    close: async () => {
      await userServer.stop(true);
      await user.close();
      await aiServer.stop(true);
      await ai.close();
      await analyticsServer.stop(true);
      await analytics.close();
      await botServer.stop(true);
      await bot.close();
      await notificationServer.stop(true);
      await notification.close();
      await fileServer.stop(true);
      await file.close();
      await authServer.stop(true);
      await auth.close();
      if (redisProxy) {
        serviceRedis.disconnect();
        redisProxy.stop();
      }
      await database.drop();
      await cleanup();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The user service on a random port, with the test's client credentials; the public origin is the file service (FILE_URL). */
async function serveUser(options: { env: Record<string, string>; database: Database; redis: Redis; clock: () => Date; server?: Bun.Server<undefined> }) {
  const user = await startUserService({
    env: parseEnv(userEnv, {
      // The file service is the public origin here, so the avatar URLs in profiles can be fetched as they are.
      PUBLIC_BASE_URL: options.env.FILE_URL ?? "",
      USER_CLIENT_ID: CLIENT_ID,
      USER_CLIENT_SECRET: CLIENT_SECRET,
      ...options.env,
    }),
    database: options.database,
    redis: options.redis,
    clock: options.clock,
    logger: createLogger({ service: "user", level: process.env.TEST_LOG_LEVEL ?? "silent" }),
  });
  // A server already listening (its URL given to peers before the service started) now serves it.
  const userServer = options.server ?? Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: user.app.fetch });
  userServer.reload({ fetch: user.app.fetch });
  return { user, userServer, url: `http://127.0.0.1:${userServer.port}` };
}

/** Waits until the user service has the profile from `user.registered` (its email is set). */
function profileArrived(db: Database["db"], userId: string) {
  return eventually(async () => {
    const [row] = await db.select().from(profiles).where(eq(profiles.userId, userId));
    return row?.email ? row : undefined;
  });
}

export type TestUsers = Awaited<ReturnType<typeof startTestUsers>>;

/**
 * The user service alone, for tests that need only tokens: they come from a test issuer (signed as
 * auth signs them), and `register` announces the user with `user.registered` on the bus, as auth's
 * outbox does. No auth, file, notification, AI or analytics service runs: AUTH_URL, FILE_URL, NOTIFICATION_URL, AI_URL and ANALYTICS_URL
 * lead to the issuer, which knows none of their routes, so tests of the user service's calls to them (deletion, export, avatars,
 * verify_password) use `startTestStack`. Same helpers and `advance` as there.
 */
export async function startTestUsers(options: { env?: Record<string, string> } = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const { now: clock, advance } = createTestClock();
  const issuer = await startTestIssuer({ clock });
  const nowhere = new URL(issuer.jwksUrl).origin;
  const { user, userServer, url } = await serveUser({
    env: {
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: prefix,
      LOG_LEVEL: "silent",
      JWKS_URL: issuer.jwksUrl,
      AUTH_URL: nowhere,
      FILE_URL: nowhere,
      NOTIFICATION_URL: nowhere,
      AI_URL: nowhere,
      ANALYTICS_URL: nowhere,
      BOT_URL: nowhere,
      ...options.env,
    },
    database,
    redis,
    clock,
  });
  const db = database.db;
  const { bus } = user.deps;

  let counter = 0;
  /** A fresh user with an access token, announced as auth announces a registration. */
  async function register(overrides: { name?: string; email?: string } = {}, role: "user" | "admin" = "user") {
    counter += 1;
    const email = overrides.email ?? `user${counter}-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const account = await issuer.user({ role });
    await bus.publish("user.registered", { userId: account.id, email, name: overrides.name ?? null });
    return { email, id: account.id, sessionId: account.sessionId, accessToken: account.token };
  }

  return {
    url,
    issuer,
    call: (method: string, path: string, options?: Options) => request(url, method, path, options),
    register,
    /** A fresh admin (the role is in the token, as auth signs it at login). */
    admin: () => register({}, "admin"),
    /** A service client's token with the scopes the client holds in the full stack. */
    client: (clientId: OtherClient) => issuer.client(clientId, [...otherClients[clientId]]),
    user,
    redis,
    prefix,
    db,
    advance,
    profileArrived: (userId: string) => profileArrived(db, userId),
    close: async () => {
      await userServer.stop(true);
      await user.close();
      await issuer.stop();
      await database.drop();
      await cleanup();
    },
  };
}
