import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { botLinks, notifications, recipients } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { buttonsOf, callbackAnswers, lastMessage, press, say } from "./buttons";
import { startTestBot, type TestBot } from "./harness";

/**
 * `/remind` and `/reminders` against the real notification and user services (auth issuing every
 * token), all on one clock the test moves: a reminder set in Telegram is created at the right
 * instant for the user's time zone, and arrives in the chat through the notification service at
 * that local time (it learned the chat from the bot's `telegram.linked` on the shared bus).
 */
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ peers: ["user", "notification"] });
});
afterAll(() => bot.close());

function peersOf(test: TestBot) {
  if (!test.peers || !test.telegram) throw new Error("no peers or telegram");
  return { peers: test.peers, telegram: test.telegram };
}

let chats = 8000;
/**
 * A user in `timeZone` and their chat, linked (which switches their Telegram notifications on:
 * preferences version 1), then with `telegramOn: false` or another `language` saved on the web
 * (version 2), once the notification service and the bot have heard of it.
 */
async function linkedUser(options: { timeZone?: string; telegramOn?: boolean; language?: string } = {}) {
  const { peers, telegram } = peersOf(bot);
  const user = await peers.register({ timeZone: options.timeZone });
  const chatId = ++chats;
  const chat = telegram.client({ chatId, userId: chatId, userName: `person${chatId}` });
  await bot.link(chat, user.token);
  await peers.telegramLinked(user.id, chatId);
  let version = 1;
  if (options.telegramOn === false || options.language) {
    const current = (await peers.callUser("GET", "/users/me/preferences", { token: user.token })).json;
    const preferences = {
      ...current.preferences,
      language: options.language ?? current.preferences.language,
      notifications: { ...current.preferences.notifications, telegram: { enabled: options.telegramOn !== false, frequency: "instant" } },
    };
    const put = await peers.callUser("PUT", "/users/me/preferences", { token: user.token, body: { version: current.version, preferences } });
    expect(put.status).toBe(200);
    version = 2;
  }
  await eventually(async () => (await bot.db.select().from(recipients).where(eq(recipients.userId, user.id)))[0]?.preferencesVersion === version);
  await eventually(async () => (await bot.db.select().from(botLinks).where(eq(botLinks.userId, user.id)))[0]?.preferencesVersion === version);
  return { user, chat, chatId };
}

/** The user's reminders as the notification service serves them to the user (a fresh token: the clock may have moved). */
async function remindersOf(user: { email: string }) {
  const { peers } = peersOf(bot);
  const listed = await peers.callNotification("GET", "/notifications/reminders", { token: await peers.logIn(user) });
  expect(listed.status).toBe(200);
  return listed.json.reminders as { id: string; text: string; repeat: string | null; nextAt: string; channels: string[] | null }[];
}

const remindersInChat = (chatId: number) => (bot.telegram?.to(chatId) ?? []).filter((message) => message.text.includes("Reminder:"));

describe("/remind", () => {
  test("tomorrow 9:00 in Europe/Berlin: set for 08:00Z, confirmed in local time, and it arrives in Telegram then, not before", async () => {
    bot.clock.set("2026-03-10T10:00:00.000Z");
    const { user, chat, chatId } = await linkedUser({ timeZone: "Europe/Berlin" });
    await say(bot, chat, "/remind tomorrow 9:00 water the plants");
    const confirmation = lastMessage(bot, chatId).text;
    expect(confirmation).toBe("Okay, I'll remind you on Wednesday, March 11, 2026 at 9:00 AM: water the plants");
    expect(await remindersOf(user)).toMatchObject([{ text: "water the plants", repeat: null, nextAt: "2026-03-11T08:00:00.000Z", channels: ["telegram"] }]);

    const { peers } = peersOf(bot);
    bot.clock.set("2026-03-11T07:59:00.000Z");
    await peers.runDueReminders();
    // Not fired: firing makes the notification before its delivery is queued.
    expect(await bot.db.select().from(notifications).where(eq(notifications.userId, user.id))).toEqual([]);
    bot.clock.set("2026-03-11T08:00:00.000Z");
    await peers.runDueReminders();
    const [arrived] = await eventually(() => remindersInChat(chatId).length > 0 && remindersInChat(chatId));
    expect(arrived?.text).toContain("<b>Reminder: water the plants</b>");
    expect(arrived?.parse_mode).toBe("HTML");
    expect(await remindersOf(user)).toEqual([]);
  });

  test("an update run again (a worker died after creating, before it was done): one reminder, read from when the update came", async () => {
    bot.clock.set("2026-03-10T10:00:00.000Z");
    const { user, chatId } = await linkedUser({ timeZone: "Europe/Berlin" });
    const telegram = bot.deps.telegram;
    if (!telegram) throw new Error("no telegram");
    const update = {
      update_id: 770_001,
      message: {
        message_id: 1,
        date: Math.floor(Date.parse("2026-03-10T10:00:00Z") / 1000),
        chat: { id: chatId, type: "private" as const, first_name: "Person" },
        from: { id: chatId, is_bot: false, first_name: "Person" },
        text: "/remind in 10 minutes tea",
        entities: [{ type: "bot_command" as const, offset: 0, length: 7 }],
      },
    };
    const receivedAt = bot.clock.now();
    await telegram.handle(structuredClone(update), receivedAt);
    // The second attempt runs three minutes later: "in 10 minutes" still means 10:10.
    bot.clock.set("2026-03-10T10:03:00.000Z");
    await telegram.handle(structuredClone(update), receivedAt);
    expect(await remindersOf(user)).toMatchObject([{ text: "tea", nextAt: "2026-03-10T10:10:00.000Z" }]);
    const confirmations = (bot.telegram?.to(chatId) ?? []).filter((message) => message.text.includes("tea"));
    expect(confirmations.map((message) => message.text)).toEqual([
      "Okay, I'll remind you on Tuesday, March 10, 2026 at 11:10 AM: tea",
      "Okay, I'll remind you on Tuesday, March 10, 2026 at 11:10 AM: tea",
    ]);
  });

  test("every weekday 8:30 is FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR at 08:30 local: from a Friday afternoon, next on Monday", async () => {
    bot.clock.set("2026-03-13T15:00:00.000Z");
    const { user, chat, chatId } = await linkedUser({ timeZone: "Europe/Berlin" });
    await say(bot, chat, "/remind every weekday 8:30 stand-up");
    expect(lastMessage(bot, chatId).text).toBe("Okay, I'll remind you every weekday at 8:30 AM, next on Monday, March 16, 2026 at 8:30 AM: stand-up");
    expect(await remindersOf(user)).toMatchObject([{ text: "stand-up", repeat: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", nextAt: "2026-03-16T07:30:00.000Z" }]);
  });

  test("the neighbours: in 10 minutes, at 18:00, every day, every monday, on a date; each at its instant in America/New_York", async () => {
    bot.clock.set("2026-03-10T14:00:00.000Z"); // 10:00 in New York (EDT since 2026-03-08)
    const { user, chat } = await linkedUser({ timeZone: "America/New_York" });
    for (const command of [
      "/remind in 10 minutes tea",
      "/remind at 18:00 call mum",
      "/remind every day 7:00 vitamins",
      "/remind every monday and thursday 19:00 gym",
      "/remind on 2027-01-15 14:00 dentist",
    ]) {
      await say(bot, chat, command);
    }
    const byText = Object.fromEntries((await remindersOf(user)).map((reminder) => [reminder.text, [reminder.nextAt, reminder.repeat]]));
    expect(byText).toEqual({
      tea: ["2026-03-10T14:10:00.000Z", null],
      "call mum": ["2026-03-10T22:00:00.000Z", null],
      vitamins: ["2026-03-11T11:00:00.000Z", "FREQ=DAILY"],
      gym: ["2026-03-12T23:00:00.000Z", "FREQ=WEEKLY;BYDAY=MO,TH"],
      dentist: ["2027-01-15T19:00:00.000Z", null],
    });
  });

  test("in German: read and confirmed in German; Telegram notifications off are pointed out", async () => {
    bot.clock.set("2026-03-10T10:00:00.000Z");
    const { chat, chatId } = await linkedUser({ timeZone: "Europe/Berlin", language: "de", telegramOn: false });
    await say(bot, chat, "/remind morgen um 9 Uhr Pflanzen gießen");
    const confirmation = lastMessage(bot, chatId).text;
    expect(confirmation).toStartWith("Alles klar, ich erinnere dich am Mittwoch, 11. März 2026 um 09:00: Pflanzen gießen");
    expect(confirmation).toContain("Telegram-Benachrichtigungen sind in deinen /settings ausgeschaltet");
  });

  test("what it cannot read gets the usage; a time gone by, or a chat not linked, is told so; nothing is created", async () => {
    bot.clock.set("2026-03-10T10:00:00.000Z");
    const { user, chat, chatId } = await linkedUser({ timeZone: "Europe/Berlin" });
    for (const command of ["/remind", "/remind someday maybe", "/remind tomorrow 9:00", "/remind every day water", "/remind every day 25:00 x"]) {
      await say(bot, chat, command);
      expect(lastMessage(bot, chatId).text).toStartWith("Tell me when, then what.");
    }
    await say(bot, chat, "/remind on 2020-01-01 9:00 too late");
    expect(lastMessage(bot, chatId).text).toStartWith("That time has already passed");
    await say(bot, chat, `/remind tomorrow 9:00 ${"x".repeat(501)}`);
    expect(lastMessage(bot, chatId).text).toContain("under 500 characters");
    expect(await remindersOf(user)).toEqual([]);

    const stranger = bot.telegram?.client({ chatId: 8999, userId: 8999 });
    if (!stranger) throw new Error("no telegram");
    await say(bot, stranger, "/remind in 10 minutes tea");
    expect(lastMessage(bot, 8999).text).toContain("not linked to a Lodge account");
  });
});

describe("/reminders", () => {
  test("lists them in local time with a cancel button each; cancelling deletes through the API and edits the list in place", async () => {
    bot.clock.set("2026-03-10T10:00:00.000Z");
    const { user, chat, chatId } = await linkedUser({ timeZone: "Europe/Berlin" });
    await say(bot, chat, "/reminders");
    expect(lastMessage(bot, chatId).text).toBe("You have no reminders. Set one with /remind.");
    await say(bot, chat, "/remind tomorrow 9:00 water the plants");
    await say(bot, chat, "/remind every weekday 8:30 stand-up");
    const [standUp, plants] = await remindersOf(user);

    await say(bot, chat, "/reminders");
    const list = lastMessage(bot, chatId);
    expect(list.text).toBe("Your reminders (2):\n\n1. stand-up — every weekday, next Wed, Mar 11, 8:30 AM\n2. water the plants — Wed, Mar 11, 9:00 AM");
    expect(buttonsOf(list)).toEqual([
      { text: "✕ 1. stand-up", data: `rm:x:${standUp?.id}` },
      { text: "✕ 2. water the plants", data: `rm:x:${plants?.id}` },
    ]);

    await press(bot, chat, `rm:x:${plants?.id}`, list.message_id);
    expect(callbackAnswers(bot).at(-1)).toBe("Reminder cancelled.");
    expect((await remindersOf(user)).map((reminder) => reminder.text)).toEqual(["stand-up"]);
    const edited = lastMessage(bot, chatId);
    expect(edited.message_id).toBe(list.message_id);
    expect(edited.text).toBe("Your reminders (1):\n\n1. stand-up — every weekday, next Wed, Mar 11, 8:30 AM");
    expect(buttonsOf(edited)).toEqual([{ text: "✕ 1. stand-up", data: `rm:x:${standUp?.id}` }]);

    // Pressed again (a double tap): gone already, said politely.
    await press(bot, chat, `rm:x:${plants?.id}`, list.message_id);
    expect(callbackAnswers(bot).at(-1)).toBe("That reminder doesn't exist any more.");
    await press(bot, chat, `rm:x:${standUp?.id}`, list.message_id);
    expect(lastMessage(bot, chatId)).toMatchObject({ message_id: list.message_id, text: "You have no reminders. Set one with /remind." });
    expect(buttonsOf(lastMessage(bot, chatId))).toEqual([]);
  });

  test("a button naming another user's reminder (forged) deletes nothing and is answered politely", async () => {
    const { peers } = peersOf(bot);
    bot.clock.set("2026-03-10T10:00:00.000Z");
    const { chat, chatId } = await linkedUser();
    const other = await peers.register();
    const theirs = await peers.callNotification("POST", "/notifications/reminders", { token: other.token, body: { text: "theirs", at: "2026-03-12T09:00" } });
    expect(theirs.status).toBe(201);
    await say(bot, chat, "/reminders");
    const list = lastMessage(bot, chatId);
    const answered = callbackAnswers(bot).length;
    for (const data of [`rm:x:${theirs.json.id}`, "rm:x:not-a-uuid", "rm:", `rm:x:${theirs.json.id}:more`]) await press(bot, chat, data, list.message_id);
    expect(callbackAnswers(bot).slice(answered)).toEqual([
      "That reminder doesn't exist any more.",
      "This button is no longer valid. Send the command again for a fresh one.",
      "This button is no longer valid. Send the command again for a fresh one.",
      "This button is no longer valid. Send the command again for a fresh one.",
    ]);
    expect((await remindersOf(other)).map((reminder) => reminder.text)).toEqual(["theirs"]);
    expect(bot.telegram?.to(chatId).some((message) => message.text.includes("something went wrong"))).toBe(false);
  });
});
