import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { createUpdateQueue } from "../src/updates/queue";
import { shardOf } from "../src/updates/routing";
import { startTestBot, type TestBot } from "./harness";

/**
 * The update pipeline as in development: the bot long-polls Telegram (the emulator's layer) into
 * its Redis queue and its workers run the updates, in order per chat, chats in parallel.
 */
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(() => bot.close());

/** Commands whose answers tell them apart, and what each answer is. */
const commands = ["/help", "/whoami", "/start", "/nope"] as const;
const answerOf = (text: string) =>
  text.startsWith("I don't know that command")
    ? "/nope"
    : text.startsWith("Here is what I can do")
      ? "/help"
      : text.startsWith("Hello! I am the Lodge bot")
        ? "/start"
        : text.includes("not linked to a Lodge account")
          ? "/whoami"
          : `? ${text.slice(0, 40)}`;

/** A seeded sequence, so a failure can be replayed. */
function sequenceOf(seed: number, length: number) {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return commands[state % commands.length] as (typeof commands)[number];
  });
}

describe("the update queue", () => {
  test("a burst across 50 chats: each chat's answers come in the order of its messages", async () => {
    const telegram = bot.telegram;
    if (!telegram) throw new Error("no telegram");
    const chats = Array.from({ length: 50 }, (_, index) => ({ chatId: 7000 + index, sent: sequenceOf(index + 1, 6) }));
    // The bot's poll waits until all 300 are in, so they reach the queue at once, each chat's six
    // side by side; Telegram's answers to the bot take varying times, so answers sent in parallel
    // would cross.
    telegram.hold("getUpdates");
    telegram.latency(20);
    for (const { chatId, sent } of chats) {
      const person = telegram.client({ chatId, userId: chatId });
      for (const command of sent) await person.sendCommand(person.makeCommand(command));
    }
    telegram.release();
    await bot.settled();
    telegram.latency(0);
    for (const { chatId, sent } of chats) {
      expect({ chatId, answers: telegram.to(chatId).map((message) => answerOf(String(message.text))) }).toEqual({ chatId, answers: [...sent] });
    }
  });

  test("chats run in parallel: a chat whose answer Telegram holds up does not hold up another, even on the same shard", async () => {
    const telegram = bot.telegram;
    if (!telegram) throw new Error("no telegram");
    const shards = bot.deps.env.BOT_QUEUE_SHARDS;
    // Two chats of one shard, and one of another.
    const first = 7300;
    const sameShard = Array.from({ length: 10_000 }, (_, index) => 7301 + index).find(
      (chatId) => shardOf(String(chatId), shards) === shardOf(String(first), shards),
    );
    const otherShard = Array.from({ length: 100 }, (_, index) => 7301 + index).find(
      (chatId) => shardOf(String(chatId), shards) !== shardOf(String(first), shards),
    );
    telegram.hold("sendMessage");
    try {
      for (const chatId of [first, sameShard, otherShard] as number[]) {
        const person = telegram.client({ chatId, userId: chatId });
        await person.sendCommand(person.makeCommand("/help"));
      }
      await eventually(() => telegram.held() === 3);
    } finally {
      telegram.release();
    }
    await bot.settled();
  });

  test("a queued entry that is no update is dead-lettered; the chat's next update still runs", async () => {
    const telegram = bot.telegram;
    if (!telegram) throw new Error("no telegram");
    const queue = createUpdateQueue({ redis: bot.redis, prefix: bot.prefix, shards: bot.deps.env.BOT_QUEUE_SHARDS });
    // Written by something else than the pipeline (by hand, another version): no update in it.
    await bot.redis.xadd(queue.keys.shard(0), "*", "update", "{not json", "key", "1", "type", "message");
    const person = telegram.client({ chatId: 7100, userId: 7100 });
    await person.sendCommand(person.makeCommand("/help"));
    await bot.settled();
    expect(telegram.to(7100).map((message) => answerOf(String(message.text)))).toEqual(["/help"]);
    const letters = (await bot.redis.xrange(queue.keys.deadLetter, "-", "+")) as [string, string[]][];
    expect(letters).toHaveLength(1);
    expect(letters[0]?.[1]).toContain("{not json");
  });

  test("without BOT_WEBHOOK_URL the webhook is not there (the bot polls): 404 in the error shape", async () => {
    const answer = await bot.postUpdate({ update_id: 1, message: {} }, "x".repeat(32));
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe("NOT_FOUND");
    expect(answer.json.error.message).toContain("polls Telegram");
  });
});
