import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { startTestBot, type TestBot } from "./harness";

/** What /metrics says about the update pipeline and the Bot API calls. */
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(() => bot.close());

/** One sample of /metrics (0 when absent), by name and labels. */
async function sample(name: string, labels: Record<string, string> = {}) {
  const text = await (await fetch(`${bot.url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split("\n").find((row) => (row.startsWith(`${name}{`) || row.startsWith(`${name} `)) && wanted.every((label) => row.includes(label)));
  return Number(line?.split(" ").pop() ?? 0);
}

test("updates received and processed by type and outcome, their latency, the queue's depth, and API calls by method with Telegram's 429s", async () => {
  const telegram = bot.telegram;
  if (!telegram) throw new Error("no telegram");
  const person = telegram.client({ chatId: 6001, userId: 6001 });
  // Telegram's flood control answers the first reply 429 (retry after 1 s); auto-retry sends it again.
  telegram.rateLimit(1);
  await person.sendCommand(person.makeCommand("/help"));
  await person.sendCallback(person.makeCallbackQuery("nothing:here"));
  await bot.settled();
  expect(await sample("bot_updates_received_total", { type: "message", outcome: "queued" })).toBe(1);
  expect(await sample("bot_updates_received_total", { type: "callback_query", outcome: "queued" })).toBe(1);
  expect(await sample("bot_updates_processed_total", { type: "message", outcome: "ok" })).toBe(1);
  expect(await sample("bot_updates_processed_total", { type: "callback_query", outcome: "ok" })).toBe(1);
  expect(await sample("bot_update_processing_seconds_count", { type: "message" })).toBe(1);
  expect(await sample("bot_telegram_api_calls_total", { method: "sendMessage", code: "429" })).toBe(1);
  expect(await sample("bot_telegram_api_calls_total", { method: "sendMessage", code: "200" })).toBe(1);
  expect(await sample("bot_telegram_api_calls_total", { method: "getMe", code: "200" })).toBe(1);
  expect(await sample("bot_update_queue_depth")).toBe(0);
  expect(await sample("bot_update_queue_oldest_age_seconds")).toBe(0);
  expect(await sample("bot_update_dead_letters")).toBe(0);

  // Held mid-update: the queue's depth and its oldest update's age say so.
  telegram.hold("sendMessage");
  try {
    await person.sendCommand(person.makeCommand("/help"));
    await person.sendCommand(person.makeCommand("/help"));
    // The first waits on Telegram, the second behind it (same chat).
    await eventually(async () => telegram.held() === 1 && (await sample("bot_update_queue_depth")) === 2);
    expect(await sample("bot_update_queue_oldest_age_seconds")).toBeGreaterThan(0);
  } finally {
    telegram.release();
  }
  await bot.settled();
  expect(await sample("bot_update_queue_depth")).toBe(0);
  expect(await sample("bot_updates_processed_total", { type: "message", outcome: "ok" })).toBe(3);
});
