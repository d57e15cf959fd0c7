import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createTestDatabase } from "@lodge/db/testing";
import { createTestRedis, eventually, startTestIssuer, testRedisUrl } from "@lodge/kit/testing";
import { startTestTelegram } from "@lodge/kit/testing/telegram";
import { createUpdateQueue } from "../src/updates/queue";

/**
 * A bot process killed (SIGKILL) in the middle of an update – its handler waiting for Telegram to
 * answer its reply – and a new process started: the update is still queued, and the new process
 * runs it once its shard's lease lapses (BOT_QUEUE_LEASE_MS). The killed process's reply never
 * reached Telegram (the layer drops a held call whose caller died), so the chat gets one answer.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let testRedis: Awaited<ReturnType<typeof createTestRedis>>;
let issuer: Awaited<ReturnType<typeof startTestIssuer>>;
let telegram: Awaited<ReturnType<typeof startTestTelegram>>;
beforeAll(async () => {
  database = await createTestDatabase();
  testRedis = await createTestRedis();
  issuer = await startTestIssuer();
  telegram = await startTestTelegram();
});
afterAll(async () => {
  await telegram.stop();
  issuer.stop();
  await database.drop();
  await testRedis.cleanup();
});

function startBot() {
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: testRedis.prefix,
    JWKS_URL: issuer.jwksUrl,
    BOT_QUEUE_LEASE_MS: "1000",
    ...telegram.env,
  };
  return Bun.spawn([process.execPath, "run", join(import.meta.dir, "../src/main.ts")], { env, stdout: "ignore", stderr: "inherit" });
}

test("a bot killed mid-update: the next process finishes that update, and the chat is answered once", async () => {
  const queue = createUpdateQueue({ redis: testRedis.redis, prefix: testRedis.prefix, shards: 32 });
  const person = telegram.client({ chatId: 9500, userId: 9500 });
  telegram.hold("sendMessage");
  const doomed = startBot();
  let successor: ReturnType<typeof startBot> | undefined;
  try {
    await person.sendCommand(person.makeCommand("/help"));
    // Its handler is replying: the reply waits in the layer.
    await eventually(() => telegram.held() === 1, 30_000);
    doomed.kill("SIGKILL");
    await doomed.exited;
    telegram.release();
    expect(await queue.depth()).toBe(1);
    expect(telegram.feed.pending()).toBe(0);
    expect(telegram.to(9500)).toHaveLength(0);

    successor = startBot();
    await eventually(async () => (await queue.depth()) === 0, 30_000);
    expect(telegram.to(9500).map((message) => String(message.text))).toHaveLength(1);
    expect(String(telegram.to(9500)[0]?.text)).toStartWith("Here is what I can do");
  } finally {
    doomed.kill("SIGKILL");
    successor?.kill("SIGTERM");
    await successor?.exited;
  }
}, 60_000);
