/**
 * The bot in webhook mode through the production Caddyfile: `webhook:set` registers
 * https://lodge.test/bot/webhook with Telegram (the emulator's layer, which reaches that origin at
 * Caddy, as DNS would), and Telegram's deliveries go through Caddy to the bot's process, which
 * queues them and runs them. Forged secrets are refused at the edge too; a replay is run once; a
 * burst across 50 chats keeps each chat's order; a bot killed mid-update finishes it after restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { startTestTelegram, type TestTelegram } from "@lodge/kit/testing/telegram";
import { call, repoRoot, type Stack, startStack } from "./stack";

const secret = "e2e-webhook-secret-0123456789abcdef";
const webhookUrl = "https://lodge.test/bot/webhook";
let stack: Stack;
let telegram: TestTelegram;
beforeAll(async () => {
  telegram = await startTestTelegram();
  stack = await startStack({
    services: { bot: { ...telegram.env, BOT_WEBHOOK_URL: webhookUrl, BOT_WEBHOOK_SECRET: secret, BOT_QUEUE_LEASE_MS: "1000" } },
  });
  telegram.feed.reachWebhookAt(stack.url);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await telegram?.stop();
});

const queueDepth = async () => {
  let depth = 0;
  for (let shard = 0; shard < 32; shard++) depth += await stack.redis.xlen(`${stack.prefix}bot:updates:${shard}`);
  return depth;
};
/** Telegram holds nothing more and the queue is empty. */
const settled = () => eventually(async () => telegram.feed.pending() === 0 && (await queueDepth()) === 0, 30_000);
const textsTo = (chatId: number) => telegram.to(chatId).map((message) => String(message.text));

describe("the Telegram webhook through Caddy", () => {
  test("webhook:set registers the URL with the secret and the update types the bot handles", async () => {
    const script = Bun.spawn([process.execPath, "run", "--cwd", "apps/bot", "webhook:set"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...telegram.env, BOT_WEBHOOK_URL: webhookUrl, BOT_WEBHOOK_SECRET: secret },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [output, errors, code] = await Promise.all([new Response(script.stdout).text(), new Response(script.stderr).text(), script.exited]);
    expect({ code, errors: errors.replace(/^\$ .*\n?/m, "").trim() }).toEqual({ code: 0, errors: "" });
    expect(output).toContain(`setWebhook: ${webhookUrl}`);
    expect(output).toContain("allowed updates: message, callback_query, my_chat_member");
    expect(telegram.feed.webhook()).toEqual({ url: webhookUrl, secret, maxConnections: 40, allowedUpdates: ["message", "callback_query", "my_chat_member"] });
  });

  test("a forged or missing secret is refused at the edge in the error shape, and nothing is queued", async () => {
    const update = { update_id: 1, message: { message_id: 1, date: 0, chat: { id: 1, type: "private" }, text: "/help" } };
    const forged = await call(stack.url, "POST", "/bot/webhook", { body: update, headers: { "x-telegram-bot-api-secret-token": secret.replace(/.$/, "!") } });
    expect(forged.status).toBe(403);
    expect(forged.json.error.code).toBe("FORBIDDEN");
    const missing = await call(stack.url, "POST", "/bot/webhook", { body: update });
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe("UNAUTHORIZED");
    expect(await queueDepth()).toBe(0);
  });

  test("a person's message reaches the bot by Telegram's webhook delivery and is answered; a replay of it is run once", async () => {
    const person = telegram.client({ chatId: 3101, userId: 3101 });
    await person.sendCommand(person.makeCommand("/help"));
    await settled();
    expect(textsTo(3101)).toEqual([expect.stringMatching(/^Here is what I can do/)]);
    const delivered = telegram.feed.answers.filter((answer) => answer.status === 200).map((answer) => answer.updateId);
    expect(delivered).toHaveLength(1);
    // Telegram delivering it again (it missed the answer): answered, not run again.
    const updateId = delivered[0] as number;
    const replay = {
      update_id: updateId,
      message: { message_id: 1, date: 0, chat: { id: 3101, type: "private" }, from: { id: 3101, is_bot: false, first_name: "A" }, text: "/help" },
    };
    const again = await call(stack.url, "POST", "/bot/webhook", { body: replay, headers: { "x-telegram-bot-api-secret-token": secret } });
    expect(again.json).toEqual({ outcome: "duplicate" });
    await settled();
    expect(textsTo(3101)).toHaveLength(1);
  });

  test("a burst across 50 chats, delivered by Telegram over parallel connections: each chat's answers come in its order", async () => {
    const commands = ["/help", "/whoami", "/start", "/nope"] as const;
    const answerOf = (text: string) =>
      text.startsWith("I don't know")
        ? "/nope"
        : text.startsWith("Here is what")
          ? "/help"
          : text.startsWith("Hello!")
            ? "/start"
            : text.includes("not linked")
              ? "/whoami"
              : text;
    const chats = Array.from({ length: 50 }, (_, index) => ({
      chatId: 3200 + index,
      sent: Array.from({ length: 5 }, (_, turn) => commands[(index * 7 + turn * turn + turn) % commands.length] as string),
    }));
    telegram.latency(15);
    try {
      await Promise.all(
        chats.map(async ({ chatId, sent }) => {
          const person = telegram.client({ chatId, userId: chatId });
          for (const command of sent) await person.sendCommand(person.makeCommand(command));
        }),
      );
      await settled();
    } finally {
      telegram.latency(0);
    }
    for (const { chatId, sent } of chats) expect({ chatId, answers: textsTo(chatId).map(answerOf) }).toEqual({ chatId, answers: sent });
  });

  test("the bot killed mid-update (SIGKILL): Telegram's later deliveries wait for it, and the restarted process finishes the update, answering once", async () => {
    const person = telegram.client({ chatId: 3301, userId: 3301 });
    telegram.hold("sendMessage");
    try {
      await person.sendCommand(person.makeCommand("/help"));
      await eventually(() => telegram.held() === 1, 30_000);
      const restarting = stack.restartService("bot", "SIGKILL");
      // Sent while it is down: Caddy holds the delivery (or Telegram retries it) until the new process is up.
      await person.sendCommand(person.makeCommand("/whoami"));
      const { fresh } = await restarting;
      // The killed process's reply, held until now, is dropped (its caller is gone); the new one's goes through.
      telegram.release();
      expect(fresh.child.exitCode).toBeNull();
      await settled();
    } finally {
      telegram.release();
    }
    expect(textsTo(3301).map((text) => text.slice(0, 20))).toEqual(["Here is what I can d", "This chat is not lin"]);
  });
});
