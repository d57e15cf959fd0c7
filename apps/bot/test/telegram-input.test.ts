import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { botLinks } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { chatsOf } from "./chats";
import { startTestBot, type TestBot } from "./harness";

/**
 * Bad input through Telegram, not HTTP: gigantic messages, unknown commands, commands meant for
 * another bot, group chatter, junk `/start` payloads, garbage callback data and updates the bot has
 * no use for. The bot never fails on them (no error logged) and answers politely or not at all.
 */
let bot: TestBot;
let chats: ReturnType<typeof chatsOf>;
beforeAll(async () => {
  bot = await startTestBot();
  chats = chatsOf(bot);
});
afterAll(() => bot.close());

/** Log lines at error level or above (pino's 50): a handler that failed. */
const failures = () => bot.logLines.filter((line) => Number(line.level) >= 50);
const help = "Here is what I can do";

describe("in a private chat", () => {
  test("a gigantic message or command (over Telegram's 4096 characters) gets the help or its answer, once", async () => {
    const chat = chats.person({ id: 8001 });
    const huge = `${"word ".repeat(2000)}😀`.repeat(2);
    expect(await chats.say(chat, huge, 8001)).toEqual([expect.stringContaining(help)]);
    expect(await chats.say(chat, `/whoami ${huge}`, 8001)).toEqual([expect.stringContaining("not linked")]);
    expect(await chats.say(chat, `/help ${huge}`, 8001)).toEqual([expect.stringContaining(help)]);
    expect(await chats.say(chat, `/${"x".repeat(5000)}`, 8001)).toEqual([expect.stringContaining("I don't know that command")]);
    const { chat: linked } = await chats.linked(8002);
    expect(await chats.say(linked, huge, 8002)).toHaveLength(1);
    expect(await chats.say(linked, `/unlink ${huge}`, 8002)).toEqual([expect.stringContaining("no longer linked")]);
    expect(failures()).toEqual([]);
  });

  test("an unknown command is answered with the help, saying it is unknown", async () => {
    const chat = chats.person({ id: 8010 });
    for (const command of ["/frobnicate", "/START_NOW", "/a_b_c 1 2 3", "/settings_x"]) {
      const [answer, ...more] = await chats.say(chat, command, 8010);
      expect({ command, answer, more }).toEqual({ command, answer: expect.stringContaining("I don't know that command"), more: [] });
      expect(answer).toContain(help);
    }
    expect(failures()).toEqual([]);
  });

  test("/start with a junk payload links nothing and gets the greeting", async () => {
    const chat = chats.person({ id: 8020 });
    for (const payload of [
      "<script>alert(1)</script>",
      "../../etc/passwd",
      "😀😀😀",
      "' OR 1=1 --",
      "a b c",
      "\u202Eevil",
      "A".repeat(65),
      "x".repeat(5000),
      "%00",
    ]) {
      const [answer, ...more] = await chats.say(chat, `/start ${payload}`, 8020);
      expect({ payload, more }).toEqual({ payload, more: [] });
      expect(answer).toContain("I am the Lodge bot");
    }
    // Well-formed but unknown: no such link.
    expect(await chats.say(chat, `/start ${"A".repeat(32)}`, 8020)).toEqual([expect.stringContaining("expired or was already used")]);
    expect(await bot.db.select().from(botLinks).where(eq(botLinks.chatId, 8020))).toEqual([]);
    expect(failures()).toEqual([]);
  });

  test("callback queries with garbage data are answered (the client stops waiting) and change nothing", async () => {
    const { chat } = await chats.linked(8030);
    const linksBefore = await bot.db.select().from(botLinks);
    const answeredBefore = bot.telegram?.calls.filter((call) => call.method === "answerCallbackQuery").length ?? 0;
    const garbage = ["", "x", "st:", "st:lang:xx", "st:lang:de:extra", "\u0000\u0001", '{"a":1}', "😀".repeat(16), "a".repeat(64), "inv:revoke:1"];
    for (const data of garbage) await chat.sendCallback(chat.makeCallbackQuery(data, { message: { message_id: 1 } }));
    expect(await bot.deliver()).toBe(garbage.length);
    const answered = bot.telegram?.calls.filter((call) => call.method === "answerCallbackQuery") ?? [];
    expect(answered.length - answeredBefore).toBe(garbage.length);
    expect(await bot.db.select().from(botLinks)).toEqual(linksBefore);
    expect(failures()).toEqual([]);
  });

  test("updates with no text, edits and channel posts do not fail the bot", async () => {
    const date = Math.floor(bot.clock.now().getTime() / 1000);
    const from = { id: 8040, is_bot: false, first_name: "Ada" };
    const privateChat = { id: 8040, type: "private" as const, first_name: "Ada" };
    await chats.handle({
      message: {
        message_id: 1,
        date,
        chat: privateChat,
        from,
        sticker: { file_id: "s", file_unique_id: "s", type: "regular", width: 1, height: 1, is_animated: false, is_video: false },
      },
    });
    // Types the bot does not handle are dropped as they arrive (webhook:set does not ask Telegram for them).
    expect(await chats.handle({ edited_message: { message_id: 1, date, edit_date: date, chat: privateChat, from, text: "/unlink" } })).toBe("ignored");
    expect(await chats.handle({ channel_post: { message_id: 1, date, chat: { id: -1008040, type: "channel", title: "News" }, text: "/help" } })).toBe(
      "ignored",
    );
    await chats.handle({
      message: { message_id: 2, date, chat: privateChat, from, text: "/help", entities: [{ type: "bot_command", offset: 0, length: 500 }] },
    });
    expect(chats.sentTo(8040)).toEqual([expect.stringContaining(help), expect.stringContaining(help)]);
    expect(chats.sentTo(-1008040)).toEqual([]);
    expect(failures()).toEqual([]);
  });
});

describe("in a group", () => {
  test("only commands addressed to this bot are answered; other bots' commands and people's chatter are left alone", async () => {
    const group = chats.person({ id: 8050, group: -8050 });
    expect(await chats.say(group, "/help@otherbot", -8050)).toEqual([]);
    expect(await chats.say(group, "/frobnicate@otherbot", -8050)).toEqual([]);
    expect(await chats.say(group, "/frobnicate", -8050)).toEqual([]);
    expect(await chats.say(group, "good morning everyone", -8050)).toEqual([]);
    expect(await chats.say(group, "TestNameBot is a fine bot", -8050)).toEqual([]);
    expect(await chats.say(group, "x".repeat(5000), -8050)).toEqual([]);
    expect(await chats.say(group, "/help@TestNameBot", -8050)).toEqual([expect.stringContaining(help)]);
    expect(await chats.say(group, "/frobnicate@TestNameBot", -8050)).toEqual([expect.stringContaining("I don't know that command")]);
    // A deep link opened in a group links nothing: links are for private chats.
    const user = await bot.issuer.user();
    expect(await chats.say(group, `/start@TestNameBot ${await chats.deepLink(user.token)}`, -8050)).toEqual([expect.stringContaining("I am the Lodge bot")]);
    expect((await bot.call("GET", "/bot/link", { token: user.token })).json.linked).toBe(false);
    expect(failures()).toEqual([]);
  });
});
