import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { botLinks } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestBot, type TestBot } from "./harness";

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(() => bot.close());

/** The `start` payload of a deep link. */
const startPayloadOf = (url: string) => new URL(url).searchParams.get("start") as string;

describe("linking a Telegram chat by deep link", () => {
  test("a web user's deep link, opened in Telegram, links that chat and announces it; the link is single use", async () => {
    const user = await bot.issuer.user();
    const made = await bot.call("POST", "/bot/link", { token: user.token });
    expect(made.status).toBe(201);
    expect(made.json.url).toStartWith("https://t.me/");
    const chat = bot.telegram?.client({ chatId: 4001, userId: 4001, userName: "ada" });
    if (!chat) throw new Error("no telegram");
    await chat.sendCommand(chat.makeCommand(`/start ${startPayloadOf(made.json.url)}`));
    await bot.deliver();
    expect((await chat.getUpdates()).result.at(-1)?.message.text).toContain("linked to your Lodge account");
    expect(await bot.db.select().from(botLinks).where(eq(botLinks.userId, user.id))).toMatchObject([{ chatId: 4001, username: "ada" }]);
    const state = await bot.call("GET", "/bot/link", { token: user.token });
    expect(state.json).toMatchObject({ linked: true, chatId: 4001, username: "ada" });
    const published = await eventually(async () => (await bot.redis.xrange(bot.deps.bus.streamKey("telegram.linked"), "-", "+")).length > 0 || undefined);
    expect(published).toBe(true);
    const [[, fields] = ["", []]] = await bot.redis.xrange(bot.deps.bus.streamKey("telegram.linked"), "-", "+");
    expect(JSON.parse(fields[1] as string).data).toEqual({ userId: user.id, chatId: 4001, username: "ada" });

    // Used once: another chat opening the same link links nothing.
    const other = bot.telegram?.client({ chatId: 4002, userId: 4002 });
    if (!other) throw new Error("no telegram");
    await other.sendCommand(other.makeCommand(`/start ${startPayloadOf(made.json.url)}`));
    await bot.deliver();
    expect((await other.getUpdates()).result.at(-1)?.message.text).toContain("expired or was already used");
  });
});
