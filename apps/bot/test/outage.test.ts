import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseEnv } from "@lodge/config";
import { createDatabase } from "@lodge/db";
import { createTestDatabase } from "@lodge/db/testing";
import { connectRedis, createLogger } from "@lodge/kit";
import { createManualClock, type createTcpProxy, createTestRedis, eventually, proxyFor, startTestIssuer, testRedisUrl } from "@lodge/kit/testing";
import { startTestTelegram } from "@lodge/kit/testing/telegram";
import { botEnv } from "../src/env";
import { startBotService } from "../src/service";

/**
 * Postgres and Redis behind proxies the test cuts. Redis down: the webhook answers 503 (Telegram
 * delivers again later), and takes updates again once it is back. Postgres down: an update's run
 * fails before the features and is retried with backoff (on the service's clock), then done once;
 * one that keeps failing is dead-lettered, and the chat's next update runs; an operator redrives it.
 */
const secret = "outage-secret-0123456789abcdef";
const clock = createManualClock("2026-03-10T10:00:00.000Z");
let url: string;
let redisProxy: ReturnType<typeof createTcpProxy>;
let postgresProxy: ReturnType<typeof createTcpProxy>;
let telegram: Awaited<ReturnType<typeof startTestTelegram>>;
let testRedis: Awaited<ReturnType<typeof createTestRedis>>;
let depth: () => Promise<number>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  testRedis = await createTestRedis();
  const issuer = await startTestIssuer({ clock: clock.now });
  telegram = await startTestTelegram();
  postgresProxy = proxyFor(database.url);
  redisProxy = proxyFor();
  const proxiedDatabaseUrl = new URL(database.url);
  proxiedDatabaseUrl.hostname = "127.0.0.1";
  proxiedDatabaseUrl.port = String(postgresProxy.port);
  const proxiedRedisUrl = `redis://127.0.0.1:${redisProxy.port}`;
  const env = parseEnv(botEnv, {
    DATABASE_URL: proxiedDatabaseUrl.toString(),
    REDIS_URL: proxiedRedisUrl,
    REDIS_PREFIX: testRedis.prefix,
    JWKS_URL: issuer.jwksUrl,
    BOT_WEBHOOK_URL: "https://lodge.test/bot/webhook",
    BOT_WEBHOOK_SECRET: secret,
    ...telegram.env,
  });
  const proxiedDatabase = await createDatabase({ url: env.DATABASE_URL, poolSize: 4 });
  const redis = await connectRedis(proxiedRedisUrl);
  const service = await startBotService({
    env,
    database: proxiedDatabase,
    redis,
    clock: clock.now,
    logger: createLogger({ service: "bot", level: (process.env.TEST_LOG_LEVEL ?? "silent") as "silent" }),
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch });
  url = `http://127.0.0.1:${server.port}`;
  const queue = service.deps.updates;
  if (!queue) throw new Error("no pipeline");
  depth = () => queue.queue.depth();
  cleanup = async () => {
    await server.stop(true);
    await service.close();
    redis.disconnect();
    await proxiedDatabase.close();
    postgresProxy.stop();
    redisProxy.stop();
    await telegram.stop();
    issuer.stop();
    await database.drop();
    await testRedis.cleanup();
  };
});
afterAll(() => cleanup());

let nextId = 900_000;
const command = (chatId: number, text: string) => ({
  update_id: nextId++,
  message: {
    message_id: nextId,
    date: 1_773_136_800,
    chat: { id: chatId, type: "private", first_name: "Ada" },
    from: { id: chatId, is_bot: false, first_name: "Ada" },
    text,
    entities: [{ type: "bot_command", offset: 0, length: text.length }],
  },
});
async function post(update: unknown) {
  const response = await fetch(`${url}/bot/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
    body: JSON.stringify(update),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    json: (await response.json()) as { outcome?: string; error?: { code: string } },
  };
}
const counter = async (name: string, outcome: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name}{`) && row.includes(`outcome="${outcome}"`));
  return Number(line?.split(" ").pop() ?? 0);
};
/** `bun run --cwd apps/bot updates:dead-letters …` against the test's Redis prefix; its output. */
async function deadLetters(...args: string[]) {
  const child = Bun.spawn([process.execPath, "run", join(import.meta.dir, "../scripts/dead-letters.ts"), ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", REDIS_URL: testRedisUrl, REDIS_PREFIX: testRedis.prefix },
    stdout: "pipe",
    stderr: "inherit",
  });
  const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(code).toBe(0);
  return output;
}
/** Done with everything queued (read through the test's own connection: the service's may be cut). */
const drained = () => eventually(async () => (await depth().catch(() => 1)) === 0, 20_000);

describe("a dependency goes down and comes back", () => {
  test("Redis down: the webhook answers 503 with Retry-After (Telegram delivers again); back: the update is queued and run", async () => {
    const update = command(9001, "/help");
    redisProxy.cut();
    const down = await post(update);
    expect(down.status).toBe(503);
    expect(down.json.error?.code).toBe("UNAVAILABLE");
    expect(Number(down.retryAfter)).toBeGreaterThan(0);
    redisProxy.restore();
    // Telegram's next attempt.
    await eventually(async () => (await post(update)).status === 200);
    await drained();
    expect(telegram.to(9001)).toHaveLength(1);
  });

  test("Postgres down while an update runs: retried after a backoff on the service's clock, then run once", async () => {
    postgresProxy.cut();
    const retried = await counter("bot_updates_processed_total", "retried");
    expect((await post(command(9002, "/whoami"))).json.outcome).toBe("queued");
    await eventually(async () => (await counter("bot_updates_processed_total", "retried")) > retried);
    postgresProxy.restore();
    // The backoff waits on the clock: move it past the longest first delay.
    clock.advance(10_000);
    await drained();
    expect(telegram.to(9002).map((message) => message.text)).toEqual(["This chat is not linked to a Lodge account."]);
  });

  test("an update that keeps failing is dead-lettered after its attempts, and its chat goes on", async () => {
    postgresProxy.cut();
    const failing = command(9003, "/whoami");
    expect((await post(failing)).json.outcome).toBe("queued");
    expect((await post(command(9003, "/help"))).json.outcome).toBe("queued");
    const deadLetter = `${testRedis.prefix}bot:updates:dead-letter`;
    await eventually(async () => {
      clock.advance(10_000);
      return (await testRedis.redis.xlen(deadLetter)) === 1;
    }, 20_000);
    postgresProxy.restore();
    // The next update waited behind it (same chat), and may have failed meanwhile too; it runs once Postgres is back.
    await eventually(async () => {
      clock.advance(10_000);
      return (await depth().catch(() => 1)) === 0;
    }, 20_000);
    const [[, fields] = ["", []]] = (await testRedis.redis.xrange(deadLetter, "-", "+")) as [string, string[]][];
    const letter = Object.fromEntries(fields.flatMap((value, index) => (index % 2 ? [] : [[value, fields[index + 1]]])));
    expect(JSON.parse(letter.update as string).update_id).toBe(failing.update_id);
    expect(letter.attempts).toBe("5");
    expect(letter.error).toBeTruthy();
    const texts = telegram.to(9003).map((message) => String(message.text));
    expect(texts.at(-1)).toStartWith("Here is what I can do");
    expect(await counter("bot_updates_processed_total", "dead_lettered")).toBeGreaterThanOrEqual(1);

    // The operator lists it, and with Postgres back, redrives it: it runs behind what its chat holds.
    const listed = await deadLetters("list");
    expect(listed).toContain(`update ${failing.update_id} (message, chat 9003)  5 attempts`);
    expect(await deadLetters("redrive", "--all")).toContain("redriven: 1");
    await eventually(async () => (await depth().catch(() => 1)) === 0, 20_000);
    expect(
      telegram
        .to(9003)
        .map((message) => String(message.text))
        .at(-1),
    ).toBe("This chat is not linked to a Lodge account.");
    expect(await testRedis.redis.xlen(deadLetter)).toBe(0);
  });
});
