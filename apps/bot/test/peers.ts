import { startAiService } from "@lodge/ai";
import { aiEnv } from "@lodge/ai/env";
import { startFakeOpenAi } from "@lodge/ai/testing";
import { startAuthService } from "@lodge/auth";
import { authEnv } from "@lodge/auth/env";
import { parseEnv } from "@lodge/config";
import type { Database } from "@lodge/db";
import { profiles, recipients, telegramLinks, users } from "@lodge/db/schema";
import { createLogger, type Redis } from "@lodge/kit";
import { eventually, call as request, runDueJobs } from "@lodge/kit/testing";
import { startNotificationService } from "@lodge/notification";
import { notificationEnv } from "@lodge/notification/env";
import { clientSettings, machineClients } from "@lodge/services";
import { startUserService } from "@lodge/user";
import { userEnv } from "@lodge/user/env";
import { eq } from "drizzle-orm";
import { startPacedUpstream } from "./paced-upstream";

/** The services a bot test may start beside it (auth always comes with them: it issues every token). */
export type Peer = "user" | "notification" | "ai";

type Options = Parameters<typeof request>[3];

type PeersOptions = {
  peers: readonly Peer[];
  database: Database & { url: string };
  redis: Redis;
  prefix: string;
  clock: () => Date;
  /** The Bot API the notification service sends Telegram messages to (the bot's emulator). */
  telegramEnv: Record<string, string>;
  /** The AI service's own settings (limits, attempts) over the peers' defaults. */
  aiEnv?: Record<string, string>;
};

/**
 * Real peers of the bot in this process, on random ports, sharing its database (each service in
 * its own schema), Redis prefix (so they hear each other's events, `telegram.linked` included) and
 * clock, as in production: auth issues users' tokens and every service's client token (AUTH_CLIENTS
 * from @lodge/services' list, so the bot's client has exactly the scopes production gives it); the
 * user and notification services act for users on the bot's calls. The notification service sends
 * Telegram messages to the bot's emulator and runs its workers; `runDueReminders` fires what is due
 * by the clock. The AI service answers from the fake OpenAI upstream (`fakeOpenAi`: what it was
 * sent, scripted failures) through `upstream`, where a test can hold a streamed answer between
 * chunks. `botEnv` points the bot at them.
 */
export async function startPeers(options: PeersOptions) {
  const { database, redis, clock } = options;
  const logger = (service: string) => createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const clients = clientSettings(machineClients(() => `test-secret-${crypto.randomUUID()}`, ["user", "notification", "bot"]));
  const common = { DATABASE_URL: database.url, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: options.prefix, LOG_LEVEL: "silent" };

  const auth = await startAuthService({
    env: parseEnv(authEnv, { ...common, AUTH_COOKIE_SECURE: "false", AUTH_CLIENTS: clients.authClients.join(";") }),
    database,
    redis,
    clock,
    maintenance: false,
    logger: logger("auth"),
  });
  const authServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: auth.app.fetch });
  const authUrl = `http://127.0.0.1:${authServer.port}`;
  // Both listen before either starts, so each can be given the other's URL.
  const userServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("starting", { status: 503 }) });
  const notificationServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("starting", { status: 503 }) });
  // A streamed answer a test holds between chunks may be quiet for longer than Bun's default 10 s.
  const aiServer = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: () => new Response("starting", { status: 503 }) });
  const urls = {
    AUTH_URL: authUrl,
    USER_URL: `http://127.0.0.1:${userServer.port}`,
    NOTIFICATION_URL: `http://127.0.0.1:${notificationServer.port}`,
    AI_URL: `http://127.0.0.1:${aiServer.port}`,
  };
  const peerEnv = { ...common, ...clients.serviceEnv, ...urls, JWKS_URL: `${authUrl}/.well-known/jwks.json` };

  const user = options.peers.includes("user")
    ? await startUserService({ env: parseEnv(userEnv, peerEnv), database, redis, clock, logger: logger("user") })
    : undefined;
  if (user) userServer.reload({ fetch: user.app.fetch });
  const notification = options.peers.includes("notification")
    ? await startNotificationService({
        env: parseEnv(notificationEnv, { ...peerEnv, ...options.telegramEnv }),
        database,
        redis,
        clock,
        logger: logger("notification"),
      })
    : undefined;
  if (notification) notificationServer.reload({ fetch: notification.app.fetch });
  const fakeOpenAi = options.peers.includes("ai") ? startFakeOpenAi() : undefined;
  const upstream = fakeOpenAi ? startPacedUpstream(fakeOpenAi.url) : undefined;
  const ai =
    fakeOpenAi && upstream
      ? await startAiService({
          env: parseEnv(aiEnv, { ...peerEnv, OPENAI_API_KEY: fakeOpenAi.apiKey, OPENAI_BASE_URL: upstream.url, ...options.aiEnv }),
          database,
          redis,
          clock,
          logger: logger("ai"),
        })
      : undefined;
  if (ai) aiServer.reload({ fetch: ai.app.fetch });

  const callAuth = (method: string, path: string, callOptions?: Options) => request(authUrl, method, path, callOptions);
  const callUser = (method: string, path: string, callOptions?: Options) => request(urls.USER_URL, method, path, callOptions);
  const callNotification = (method: string, path: string, callOptions?: Options) => request(urls.NOTIFICATION_URL, method, path, callOptions);
  const callAi = (method: string, path: string, callOptions?: Options) => request(urls.AI_URL, method, path, callOptions);

  /** A fresh access token for a user (the clock may have moved past the first one's expiry). */
  async function logIn(account: { email: string }) {
    const login = await callAuth("POST", "/auth/login", { body: { email: account.email, password: "a perfectly fine password" } });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
    return login.json.accessToken as string;
  }

  /**
   * A user registered at auth (a real access token), known to the running peers: the user
   * service has their profile and, with `timeZone`, has set it, and the notification service has
   * heard of both.
   */
  async function register(registerOptions: { timeZone?: string } = {}) {
    const email = `bot-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await callAuth("POST", "/auth/register", { body: { email, password: "a perfectly fine password" } });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
    const account = { id: registered.json.user.id as string, email, token: registered.json.accessToken as string };
    if (user) await eventually(async () => (await database.db.select().from(profiles).where(eq(profiles.userId, account.id)))[0]?.email === email);
    if (registerOptions.timeZone) {
      const patched = await callUser("PATCH", "/users/me", { token: account.token, body: { timezone: registerOptions.timeZone } });
      if (patched.status !== 200) throw new Error(`setting the time zone failed: ${patched.status} ${patched.text}`);
    }
    if (notification) {
      const timeZone = registerOptions.timeZone ?? null;
      await eventually(async () => {
        const [row] = await database.db.select().from(recipients).where(eq(recipients.userId, account.id));
        return row?.email === email && row.timeZone === timeZone;
      });
    }
    return account;
  }

  return {
    auth,
    user,
    notification,
    ai,
    fakeOpenAi,
    upstream,
    urls,
    /** What the bot needs to reach them: their URLs, auth's JWKS and its client's credentials. */
    botEnv: {
      ...urls,
      JWKS_URL: peerEnv.JWKS_URL,
      BOT_CLIENT_ID: clients.serviceEnv.BOT_CLIENT_ID ?? "",
      BOT_CLIENT_SECRET: clients.serviceEnv.BOT_CLIENT_SECRET ?? "",
    },
    callAuth,
    callUser,
    callNotification,
    callAi,
    register,
    logIn,
    /** A fresh admin's access token: a registered user promoted in auth's table (as the operator command `admin:create` does), signed in. */
    admin: async () => {
      const account = await register();
      await database.db.update(users).set({ role: "admin" }).where(eq(users.id, account.id));
      return logIn(account);
    },
    /** Resolves once the notification service knows the chat the bot linked to the user (from `telegram.linked`). */
    telegramLinked: (userId: string, chatId: number) =>
      eventually(async () => (await database.db.select().from(telegramLinks).where(eq(telegramLinks.userId, userId)))[0]?.chatId === chatId),
    /** Runs the notification service's trigger jobs (reminders) due by the clock. */
    runDueReminders: async () => {
      if (!notification) throw new Error("the notification service is not started");
      await runDueJobs(notification.deps.triggers);
    },
    close: async () => {
      await userServer.stop(true);
      await notificationServer.stop(true);
      await aiServer.stop(true);
      await user?.close();
      await notification?.close();
      await ai?.close();
      upstream?.stop();
      fakeOpenAi?.stop();
      await authServer.stop(true);
      await auth.close();
    },
  };
}

export type Peers = Awaited<ReturnType<typeof startPeers>>;
