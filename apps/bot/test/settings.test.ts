import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { botLinks } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import type { PreferencesDocument } from "../src/helpers/peer-replies";
import { updateUserPreferences } from "../src/services/update-user-preferences";
import { buttonsOf, callbackAnswers, lastMessage, press, say } from "./buttons";
import { startTestBot, type TestBot } from "./harness";

/**
 * `/settings` against the real user service (and auth issuing every token): what the buttons
 * change is what the user service then serves the user; the message is edited in place.
 */
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ peers: ["user"] });
});
afterAll(() => bot.close());

let chats = 7000;
/** A registered user and their chat with the bot, linked. */
async function linkedChat() {
  const peers = bot.peers;
  if (!peers || !bot.telegram) throw new Error("no peers or telegram");
  const user = await peers.register();
  const chatId = ++chats;
  const chat = bot.telegram.client({ chatId, userId: chatId, userName: `person${chatId}` });
  await bot.link(chat, user.token);
  return { user, chat, chatId };
}

const preferencesOf = async (token: string) => (await bot.peers?.callUser("GET", "/users/me/preferences", { token }))?.json;
const editsOf = (messageId: number) =>
  bot.telegram?.calls.filter((call) => call.method === "editMessageText" && Number(call.body.message_id) === messageId) ?? [];

describe("/settings", () => {
  test("shows the preferences with buttons; a switch is saved at the user service and the message is edited in place", async () => {
    const { user, chat, chatId } = await linkedChat();
    await say(bot, chat, "/settings");
    const shown = lastMessage(bot, chatId);
    expect(shown.text).toContain("Your settings");
    // Linking switched Telegram on (the user service, from telegram.linked: version 1).
    expect(shown.text).toContain("Telegram on");
    expect(shown.text).toContain("Quiet hours: none");
    const buttons = buttonsOf(shown);
    expect(buttons.map((button) => button.data)).toEqual([
      "st:lang:en",
      "st:lang:de",
      "st:ch:email:0",
      "st:ch:push:0",
      "st:ch:telegram:0",
      "st:qh:off",
      "st:qh:2100-0600",
      "st:qh:2200-0700",
      "st:qh:2300-0700",
      "st:qh:2300-0800",
      "st:qh:0000-0800",
    ]);
    for (const { data } of buttons) expect(new TextEncoder().encode(data).length).toBeLessThanOrEqual(64);
    const sent = bot.telegram?.to(chatId).length;

    await press(bot, chat, "st:ch:telegram:0", shown.message_id);
    expect(await preferencesOf(user.token)).toMatchObject({ version: 2, preferences: { notifications: { telegram: { enabled: false } } } });
    const edited = lastMessage(bot, chatId);
    expect(edited.message_id).toBe(shown.message_id);
    expect(bot.telegram?.to(chatId)).toHaveLength(sent ?? 0);
    expect(edited.text).toContain("Telegram off");
    expect(buttonsOf(edited).map((button) => button.data)).toContain("st:ch:telegram:1");
    expect(editsOf(shown.message_id)).toHaveLength(1);
    expect(callbackAnswers(bot).at(-1)).toBe("Saved.");

    await press(bot, chat, "st:qh:2200-0700", shown.message_id);
    await press(bot, chat, "st:ch:email:0", shown.message_id);
    expect(await preferencesOf(user.token)).toMatchObject({
      version: 4,
      preferences: { quietHours: { start: "22:00", end: "07:00" }, notifications: { email: { enabled: false }, telegram: { enabled: false } } },
    });
    expect(lastMessage(bot, chatId).text).toContain("Quiet hours: 22:00–07:00");
    expect(buttonsOf(lastMessage(bot, chatId)).find((button) => button.data === "st:qh:2200-0700")?.text).toStartWith("✓ ");

    // Pressed again (a double tap, an old message): already so, nothing is written.
    await press(bot, chat, "st:qh:2200-0700", shown.message_id);
    expect((await preferencesOf(user.token)).version).toBe(4);
  });

  test("switching the language saves it, redraws the message in German, and the bot speaks German from then on", async () => {
    const { user, chat, chatId } = await linkedChat();
    await say(bot, chat, "/settings");
    const shown = lastMessage(bot, chatId);
    await press(bot, chat, "st:lang:de", shown.message_id);
    expect(await preferencesOf(user.token)).toMatchObject({ version: 2, preferences: { language: "de" } });
    expect(lastMessage(bot, chatId).text).toContain("Deine Einstellungen");
    expect(callbackAnswers(bot).at(-1)).toBe("Gespeichert.");
    expect(await bot.db.select({ language: botLinks.language }).from(botLinks).where(eq(botLinks.userId, user.id))).toEqual([{ language: "de" }]);

    await say(bot, chat, "/help");
    expect(lastMessage(bot, chatId).text).toContain("Das kann ich für dich tun");
    // The user service's own event about the change (same version) changes nothing more.
    await eventually(async () => (await bot.db.select().from(botLinks).where(eq(botLinks.userId, user.id)))[0]?.preferencesVersion === 2);
    await press(bot, chat, "st:lang:en", shown.message_id);
    expect(bot.telegram?.to(chatId).find((message) => message.message_id === shown.message_id)?.text).toContain("Your settings");
  });

  test("forged, stale or unknown button data is answered politely and changes nothing", async () => {
    const { user, chat, chatId } = await linkedChat();
    await say(bot, chat, "/settings");
    const shown = lastMessage(bot, chatId);
    const answered = callbackAnswers(bot).length;
    for (const data of ["st:lang:fr", "st:qh:0100-0200", "st:ch:fax:1", "st:ch:email:2", "st:", "st:lang:de;drop", `st:${"x".repeat(60)}`]) {
      await press(bot, chat, data, shown.message_id);
    }
    expect(callbackAnswers(bot).slice(answered)).toEqual(Array(7).fill("This button is no longer valid. Send the command again for a fresh one."));
    expect(await preferencesOf(user.token)).toMatchObject({ version: 1 });
    expect(lastMessage(bot, chatId).text).toBe(shown.text);
    expect(bot.telegram?.to(chatId).some((message) => message.text.includes("something went wrong"))).toBe(false);
  });

  test("an unlinked chat is told to link first, for the command and for a button", async () => {
    const chat = bot.telegram?.client({ chatId: 7999, userId: 7999 });
    if (!chat) throw new Error("no telegram");
    await say(bot, chat, "/settings");
    expect(lastMessage(bot, 7999).text).toContain("not linked to a Lodge account");
    await press(bot, chat, "st:lang:de", 1);
    expect(callbackAnswers(bot).at(-1)).toContain("not linked to a Lodge account");
  });
});

describe("saving preferences (the bot's service function against the real user service)", () => {
  const ctxOf = () => ({ deps: bot.deps, logger: bot.deps.logger, requestId: "settings-test" });

  /** The user saving their preferences on the web (a new theme), as the bot is about to write. */
  const savedOnTheWeb = async (token: string) => {
    const current = await preferencesOf(token);
    const theme = current.preferences.theme === "dark" ? "light" : "dark";
    const put = await bot.peers?.callUser("PUT", "/users/me/preferences", {
      token,
      body: { version: current.version, preferences: { ...current.preferences, theme } },
    });
    expect(put?.status).toBe(200);
  };
  const quietFromEleven = (preferences: PreferencesDocument) => ({ ...preferences, quietHours: { start: "23:00", end: "08:00" } });

  test("saved elsewhere between the bot's read and its write (409): read and applied once more, nothing lost", async () => {
    const { user } = await linkedChat();
    let changes = 0;
    const saved = await updateUserPreferences({
      ctx: ctxOf(),
      input: {
        userId: user.id,
        change: async (preferences) => {
          changes += 1;
          if (changes === 1) await savedOnTheWeb(user.token);
          return quietFromEleven(preferences);
        },
      },
    });
    expect(changes).toBe(2);
    expect(saved).toMatchObject({ version: 3, preferences: { theme: "dark", quietHours: { start: "23:00", end: "08:00" } } });
    expect(await preferencesOf(user.token)).toMatchObject({ version: 3, preferences: { theme: "dark", quietHours: { start: "23:00", end: "08:00" } } });
  });

  test("saved elsewhere again on the retry: a CONFLICT (the user is asked to try again), the bot's change not written", async () => {
    const { user } = await linkedChat();
    let changes = 0;
    const failed = await updateUserPreferences({
      ctx: ctxOf(),
      input: {
        userId: user.id,
        change: async (preferences) => {
          changes += 1;
          await savedOnTheWeb(user.token);
          return quietFromEleven(preferences);
        },
      },
    }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).code).toBe("CONFLICT");
    expect(changes).toBe(2);
    expect(await preferencesOf(user.token)).toMatchObject({ version: 3, preferences: { theme: "light", quietHours: null } });
  });
});

describe("a service out of reach", () => {
  const tryLater = "Please try again in a few minutes.";

  test("a peer answering 503 (here the notification service, not started): the chat is asked to try later", async () => {
    const { chat, chatId } = await linkedChat();
    await say(bot, chat, "/reminders");
    expect(lastMessage(bot, chatId).text).toContain(tryLater);
    await say(bot, chat, "/remind tomorrow 9:00 water the plants");
    expect(lastMessage(bot, chatId).text).toContain(tryLater);
  });

  test("without BOT_CLIENT_SECRET the bot still links chats, and asks them to try later for what needs the other services", async () => {
    const alone = await startTestBot();
    try {
      const user = await alone.issuer.user();
      const chat = alone.telegram?.client({ chatId: 7900, userId: 7900 });
      if (!chat) throw new Error("no telegram");
      await alone.link(chat, user.token);
      for (const command of ["/settings", "/reminders", "/remind in 10 minutes tea"]) {
        await say(alone, chat, command);
        expect(lastMessage(alone, 7900).text).toContain(tryLater);
      }
      await press(alone, chat, "st:lang:de", lastMessage(alone, 7900).message_id);
      expect(callbackAnswers(alone).at(-1)).toContain(tryLater);
      await press(alone, chat, `rm:x:${crypto.randomUUID()}`, lastMessage(alone, 7900).message_id);
      expect(callbackAnswers(alone).at(-1)).toContain(tryLater);
    } finally {
      await alone.close();
    }
  });
});
