import { parseEnv } from "@lodge/config";
import { botLinks, preferences } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";
import { createManualClock, createTestRedis, eventually, call as request, startTestIssuer } from "@lodge/kit/testing";
import { startTestTelegram, type TestTelegram } from "@lodge/kit/testing/telegram";
import { eq } from "drizzle-orm";
import { botEnv } from "../src/env";
import { startBotService } from "../src/service";
import { type Peer, startPeers } from "./peers";

export type TestBot = Awaited<ReturnType<typeof startTestBot>>;
/** A person talking to the bot (telegram-test-api's client). */
export type TelegramChat = ReturnType<TestTelegram["client"]>;

/**
 * The bot service in this process on a random port, with its own database and Redis prefix,
 * tokens from a test issuer, a clock that moves only when told, and Telegram played by
 * telegram-test-api (`telegram.client({ chatId, userId })` is a person talking to the bot). The
 * bot gets its updates as in development: it long-polls the emulator's layer into its queue, and
 * its workers run them (`settled()` waits until all of that is done). `env` may set
 * BOT_WEBHOOK_URL (with BOT_WEBHOOK_SECRET) for webhook mode instead: `postUpdate` then plays
 * Telegram calling it. `telegram: false` starts it without a bot token, as an operator who has not
 * set one.
 * `peers` starts real services beside it (see startPeers: auth, and the user, notification and/or AI
 * service; `aiEnv` is the AI service's) on the same database, Redis prefix and clock, the bot holding its client's credentials;
 * users' tokens then come from `peers.register()` (auth's), not from `issuer`.
 */
export async function startTestBot(
  options: { env?: Record<string, string>; telegram?: boolean; peers?: readonly Peer[]; aiEnv?: Record<string, string> } = {},
) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const clock = createManualClock("2026-03-10T10:00:00.000Z");
  const issuer = await startTestIssuer({ clock: clock.now });
  const telegram = options.telegram === false ? null : await startTestTelegram();
  const peers = options.peers?.length
    ? await startPeers({ peers: options.peers, database, redis, prefix, clock: clock.now, telegramEnv: telegram?.env ?? {}, aiEnv: options.aiEnv })
    : undefined;
  const logLines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) };
  const env = parseEnv(botEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    JWKS_URL: issuer.jwksUrl,
    LOG_LEVEL: "debug",
    ...telegram?.env,
    ...peers?.botEnv,
    ...options.env,
  });
  const service = await startBotService({ env, database, redis, clock: clock.now, logger: createLogger({ service: "bot", level: "debug", destination }) });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch, idleTimeout: 0 });
  const url = `http://127.0.0.1:${server.port}`;

  /** Updates the workers are done with (run, rejected or dead-lettered) so far. */
  const updatesDone = async () => {
    const counter = (await service.deps.metrics.registry.getSingleMetric("bot_updates_processed_total")?.get())?.values ?? [];
    return counter.filter((sample) => sample.labels.outcome !== "retried").reduce((sum, sample) => sum + sample.value, 0);
  };
  let doneBefore = 0;
  /**
   * Resolves once Telegram holds nothing more for the bot and its queue is empty: every update sent
   * so far was run. Returns how many updates were done since the last call.
   */
  const settled = async () => {
    const queue = service.deps.updates?.queue;
    if (!telegram || !queue) throw new Error("the bot is off");
    await eventually(async () => telegram.feed.pending() === 0 && (await queue.depth()) === 0, 20_000);
    const done = await updatesDone();
    const since = done - doneBefore;
    doneBefore = done;
    return since;
  };

  /**
   * Links a person's chat to the user of `token` as they would: a deep link made on the web (POST
   * /bot/link), opened in Telegram. With the user service running, also waits until it switched the
   * user's Telegram notifications on (from `telegram.linked`) and the bot's link has that version of
   * their preferences, so a test starts from settled preferences.
   */
  async function link(chat: TelegramChat, token: string) {
    const made = await request(url, "POST", "/bot/link", { token });
    if (made.status !== 201) throw new Error(`POST /bot/link failed: ${made.status} ${made.text}`);
    await chat.sendCommand(chat.makeCommand(`/start ${new URL(made.json.url).searchParams.get("start")}`));
    await settled();
    if (!peers?.user) return;
    // The token's subject is the user (a JWT's payload, read without verifying: the test made it).
    const userId = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { sub: string }).sub;
    await eventually(async () => {
      const [saved] = await database.db.select({ version: preferences.version }).from(preferences).where(eq(preferences.userId, userId));
      const [link] = await database.db.select({ version: botLinks.preferencesVersion }).from(botLinks).where(eq(botLinks.userId, userId));
      return link === undefined || (saved !== undefined && saved.version === link.version);
    });
  }

  return {
    url,
    service,
    deps: service.deps,
    db: database.db,
    redis,
    prefix,
    clock,
    issuer,
    telegram,
    peers,
    logLines,
    call: (method: string, path: string, callOptions?: Parameters<typeof request>[3]) => request(url, method, path, callOptions),
    settled,
    /** What the tests written before the pipeline call: the same as settled(). */
    deliver: settled,
    link,
    /** Telegram calling the webhook with an update (webhook mode); `secret` defaults to BOT_WEBHOOK_SECRET, null sends none. */
    postUpdate: (update: unknown, secret: string | null = env.BOT_WEBHOOK_SECRET ?? null) =>
      request(url, "POST", "/bot/webhook", { body: update, headers: secret === null ? {} : { "x-telegram-bot-api-secret-token": secret } }),
    close: async () => {
      await server.stop(true);
      await service.close();
      await peers?.close();
      await telegram?.stop();
      issuer.stop();
      await database.drop();
      await cleanup();
    },
  };
}
