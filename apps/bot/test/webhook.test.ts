import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectErrorShape } from "@lodge/kit/testing";
import { startTestBot, type TestBot } from "./harness";

/** The bot in webhook mode: Telegram (played by the test) posts updates to POST /bot/webhook. */
const secret = "webhook-secret-0123456789abcdef";
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ env: { BOT_WEBHOOK_URL: "https://lodge.test/bot/webhook", BOT_WEBHOOK_SECRET: secret } });
});
afterAll(() => bot.close());

let nextId = 500_000;
const helpFrom = (chatId: number, text = "/help") => ({
  update_id: nextId++,
  message: {
    message_id: nextId,
    date: Math.floor(Date.now() / 1000),
    chat: { id: chatId, type: "private", first_name: "Ada" },
    from: { id: chatId, is_bot: false, first_name: "Ada" },
    text,
    entities: text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: text.split(" ")[0]?.length ?? 0 }] : [],
  },
});
const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${bot.url}/bot/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret, ...headers },
    body,
  });
const replies = (chatId: number) => bot.telegram?.to(chatId) ?? [];

describe("POST /bot/webhook", () => {
  test("an update is answered 200 once queued and run by the workers; a replayed update_id is run once", async () => {
    const update = helpFrom(8001);
    const first = await bot.postUpdate(update);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ outcome: "queued" });
    // Telegram sending it again (it missed our answer): queued once, however close together.
    const again = await Promise.all(Array.from({ length: 5 }, () => bot.postUpdate(update)));
    expect(again.map((answer) => answer.json.outcome)).toEqual(["duplicate", "duplicate", "duplicate", "duplicate", "duplicate"]);
    await bot.settled();
    expect(replies(8001)).toHaveLength(1);
    // Long after it was run, too.
    expect((await bot.postUpdate(update)).json).toEqual({ outcome: "duplicate" });
    await bot.settled();
    expect(replies(8001)).toHaveLength(1);
  });

  test("the same new update posted ten times at once is queued by exactly one of them", async () => {
    const update = helpFrom(8002);
    const answers = await Promise.all(Array.from({ length: 10 }, () => bot.postUpdate(update)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((answer) => answer.json.outcome === "queued")).toHaveLength(1);
    await bot.settled();
    expect(replies(8002)).toHaveLength(1);
  });

  test("no secret: 401; a wrong one (of any length): 403; nothing is queued", async () => {
    const update = helpFrom(8003);
    const missing = await bot.postUpdate(update, null);
    expect(missing.status).toBe(401);
    expectErrorShape(missing, "no secret");
    for (const wrong of [secret.replace(/.$/, "x"), "short", `${secret}x`, "x".repeat(256)]) {
      const refused = await bot.postUpdate(update, wrong);
      expect(refused.status).toBe(403);
      expect(refused.json.error.code).toBe("FORBIDDEN");
    }
    // The update itself is still new: Telegram's own delivery of it is queued.
    expect((await bot.postUpdate(update)).json).toEqual({ outcome: "queued" });
    await bot.settled();
    expect(replies(8003)).toHaveLength(1);
  });

  test("a body that is no update is a 4xx in the error shape (Telegram never sends one)", async () => {
    for (const body of [
      "{not json",
      '{"update_id":',
      "[]",
      "null",
      '"x"',
      "{}",
      '{"update_id":"1"}',
      '{"update_id":1.5}',
      '{"update_id":-1}',
      '{"update_id":1e300}',
    ]) {
      const response = await post(body);
      const json = (await response.json()) as { error?: Record<string, unknown> };
      expectErrorShape({ status: response.status, json }, body);
    }
    const plain = await post(JSON.stringify(helpFrom(8004)), { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    expect(await bot.deps.updates?.queue.depth()).toBe(0);
  });

  test("bodies are limited to 1 MiB (declared or chunked); a 100 kB update, over the app-wide limit, is taken", async () => {
    const large = helpFrom(8005, `/help ${"x".repeat(100_000)}`);
    expect((await bot.postUpdate(large)).json).toEqual({ outcome: "queued" });
    const huge = await post(JSON.stringify(helpFrom(8005, "x".repeat(2 * 1024 * 1024))));
    expect(huge.status).toBe(413);
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    const stream = new ReadableStream({
      start(controller) {
        for (let index = 0; index < 32; index++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const chunked = await fetch(`${bot.url}/bot/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
      body: stream,
    });
    expect(chunked.status).toBe(413);
    await bot.settled();
    expect(replies(8005)).toHaveLength(1);
  });

  test("a valid update the bot does not handle is answered 200 and dropped, so Telegram does not retry it", async () => {
    for (const update of [
      { update_id: nextId++, inline_query: { id: "1", from: { id: 8006, is_bot: false, first_name: "A" }, query: "x", offset: "" } },
      { update_id: nextId++, poll: { id: "p", question: "?", options: [], total_voter_count: 0 } },
      { update_id: nextId++, something_new: { id: 1 } },
    ]) {
      const answer = await bot.postUpdate(update);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ outcome: "ignored" });
    }
    expect(await bot.deps.updates?.queue.depth()).toBe(0);
  });

  test("a handled type with odd contents is queued and run without a crash or a retry", async () => {
    // No chat, no sender: grammY finds no chat, the features answer nothing.
    expect((await bot.postUpdate({ update_id: nextId++, message: { text: "hi" } })).json).toEqual({ outcome: "queued" });
    expect((await bot.postUpdate({ update_id: nextId++, callback_query: { id: "c", data: "x".repeat(64) } })).json).toEqual({ outcome: "queued" });
    await bot.settled();
    expect(await bot.redis.xlen(`${bot.prefix}bot:updates:dead-letter`)).toBe(0);
  });

  test("the OpenAPI document declares the webhook with its answers", async () => {
    const document = (await bot.call("GET", "/bot/openapi.json")).json;
    const operation = document.paths["/bot/webhook"].post;
    expect(Object.keys(operation.responses).sort()).toEqual(["200", "400", "401", "403", "404", "413", "415", "422", "503"]);
    expect(operation.parameters.map((parameter: { name: string }) => parameter.name)).toContain("x-telegram-bot-api-secret-token");
  });
});

describe("POST /bot/webhook without a bot", () => {
  test("404 in the error shape, saying why", async () => {
    const off = await startTestBot({ telegram: false });
    try {
      const answer = await off.postUpdate({ update_id: 1 }, secret);
      expect(answer.status).toBe(404);
      expect(answer.json.error.message).toContain("TELEGRAM_BOT_TOKEN");
    } finally {
      await off.close();
    }
  });
});
