import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { admittedChats, botInvites, botLinks, linkTokens } from "@lodge/db/schema";
import { defaultPreferences } from "@lodge/events";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { appendTurns, conversationKey } from "../src/helpers/conversation";
import { sessionKey } from "../src/helpers/session-key";
import { admitChat } from "../src/services/admit-chat";
import { createInvite } from "../src/services/create-invite";
import { chatsOf } from "./chats";
import { startTestBot, type TestBot } from "./harness";

/**
 * A link's life: moved by re-linking (one chat per user, one user per chat), ended by /unlink, the
 * web, a block (a `my_chat_member` update or a 403 on a send), a ban or the account's deletion
 * (the saga, with the export before it), kept up to date by role and preference changes; deep
 * links expire.
 */
let bot: TestBot;
let chats: ReturnType<typeof chatsOf>;
beforeAll(async () => {
  bot = await startTestBot();
  chats = chatsOf(bot);
});
afterAll(() => bot.close());

const linkOf = async (userId: string) => (await bot.db.select().from(botLinks).where(eq(botLinks.userId, userId)))[0];
const linkOfChat = async (chatId: number) => (await bot.db.select().from(botLinks).where(eq(botLinks.chatId, chatId)))[0];
/** `telegram.unlinked` events about a chat, once there are `count`. */
const unlinkedEvents = (chatId: number, count = 1) =>
  chats.published("telegram.unlinked", (events) => events.filter((event) => event.chatId === chatId).length >= count);
const unlinkedOf = async (chatId: number, count = 1) => (await unlinkedEvents(chatId, count)).filter((event) => event.chatId === chatId);

/** What the user service publishes when a user saves their preferences. */
const preferences = (userId: string, version: number, language: string) =>
  bot.deps.bus.publish("user.preferences_updated", {
    userId,
    version,
    preferences: { ...defaultPreferences, language },
    updatedAt: bot.clock.now().toISOString(),
  });

describe("one chat per user, one user per chat", () => {
  test("a user linking a second chat moves the link; another user linking that chat takes it; both moves are announced as relinked", async () => {
    const { user: ada } = await chats.linked(7001);
    await bot.link(chats.person({ id: 7002 }), ada.token);
    expect(await linkOf(ada.id)).toMatchObject({ chatId: 7002 });
    expect(await linkOfChat(7001)).toBeUndefined();
    expect(await unlinkedOf(7001)).toEqual([{ userId: ada.id, chatId: 7001, reason: "relinked" }]);

    const grace = await bot.issuer.user();
    await bot.link(chats.person({ id: 7002 }), grace.token);
    expect(await linkOfChat(7002)).toMatchObject({ userId: grace.id });
    expect(await linkOf(ada.id)).toBeUndefined();
    expect(await unlinkedOf(7002)).toEqual([{ userId: ada.id, chatId: 7002, reason: "relinked" }]);
    const linked = await chats.published("telegram.linked", (events) => events.filter((event) => event.chatId === 7002).length >= 2);
    expect(linked.filter((event) => event.chatId === 7002).map((event) => event.userId)).toEqual([ada.id, grace.id]);

    // The same user linking the same chat again changes nothing worth announcing.
    await bot.link(chats.person({ id: 7002 }), grace.token);
    expect(await linkOfChat(7002)).toMatchObject({ userId: grace.id });
    await chats.published("telegram.linked", (events) => events.filter((event) => event.chatId === 7002).length >= 3);
    expect(await unlinkedOf(7002)).toHaveLength(1);
  });

  test("a deep link past BOT_LINK_TTL_SECONDS links nothing; one just before it does", async () => {
    const user = await bot.issuer.user();
    const late = await chats.deepLink(user.token);
    bot.clock.advance(bot.deps.env.BOT_LINK_TTL_SECONDS * 1000 + 1);
    expect(await chats.say(chats.person({ id: 7010 }), `/start ${late}`, 7010)).toEqual([expect.stringContaining("expired or was already used")]);
    expect(await linkOf(user.id)).toBeUndefined();
    const fresh = await bot.issuer.user({ id: user.id });
    const inTime = await chats.deepLink(fresh.token);
    bot.clock.advance(bot.deps.env.BOT_LINK_TTL_SECONDS * 1000 - 1);
    expect(await chats.say(chats.person({ id: 7010 }), `/start ${inTime}`, 7010)).toEqual([expect.stringContaining("linked to your Lodge account")]);
  });
});

describe("unlinking", () => {
  test("/unlink and DELETE /bot/link unlink and announce it (reason unlinked); again, there is nothing to unlink", async () => {
    const { user, chat } = await chats.linked(7020);
    expect(await chats.say(chat, "/unlink", 7020)).toEqual([expect.stringContaining("no longer linked")]);
    expect(await linkOf(user.id)).toBeUndefined();
    expect(await unlinkedOf(7020)).toEqual([{ userId: user.id, chatId: 7020, reason: "unlinked" }]);
    expect(await chats.say(chat, "/unlink", 7020)).toEqual([expect.stringContaining("not linked")]);

    await bot.link(chat, user.token);
    expect((await bot.call("DELETE", "/bot/link", { token: user.token })).status).toBe(204);
    expect((await bot.call("GET", "/bot/link", { token: user.token })).json).toEqual({ linked: false, chatId: null, username: null, linkedAt: null });
    expect(await unlinkedOf(7020, 2)).toEqual([
      { userId: user.id, chatId: 7020, reason: "unlinked" },
      { userId: user.id, chatId: 7020, reason: "unlinked" },
    ]);
    expect((await bot.call("DELETE", "/bot/link", { token: user.token })).status).toBe(204);
    expect(await chats.say(chat, "/whoami", 7020)).toEqual([expect.stringContaining("not linked")]);
  });

  test("a user blocking the bot (a my_chat_member update: kicked) unlinks the chat, reason blocked; a group removing it changes no link", async () => {
    const { user } = await chats.linked(7030);
    const member = (status: "kicked" | "member", chat: { id: number; type: "private" | "group" }) => ({
      my_chat_member: {
        chat: chat.type === "private" ? { id: chat.id, type: "private" as const, first_name: "Ada" } : { id: chat.id, type: "group" as const, title: "Team" },
        from: { id: 7030, is_bot: false, first_name: "Ada" },
        date: Math.floor(bot.clock.now().getTime() / 1000),
        old_chat_member: { user: { id: 666, is_bot: true, first_name: "Bot" }, status: "member" as const },
        new_chat_member:
          status === "kicked"
            ? { user: { id: 666, is_bot: true, first_name: "Bot" }, status: "kicked" as const, until_date: 0 }
            : { user: { id: 666, is_bot: true, first_name: "Bot" }, status: "member" as const },
      },
    });
    await chats.handle(member("kicked", { id: -7031, type: "group" }));
    expect(await linkOf(user.id)).toMatchObject({ chatId: 7030 });
    await chats.handle(member("kicked", { id: 7030, type: "private" }));
    expect(await linkOf(user.id)).toBeUndefined();
    expect(await unlinkedOf(7030)).toEqual([{ userId: user.id, chatId: 7030, reason: "blocked" }]);
    // Unblocking (and blocking again while unlinked) changes nothing and says nothing.
    await chats.handle(member("member", { id: 7030, type: "private" }));
    await chats.handle(member("kicked", { id: 7030, type: "private" }));
    expect(await unlinkedOf(7030)).toHaveLength(1);
  });

  test("a send Telegram answers 403 (the user blocked the bot) unlinks the chat, reason blocked, without an error", async () => {
    const { user, chat } = await chats.linked(7040);
    bot.telegram?.blocked.add(7040);
    try {
      expect(await chats.say(chat, "/whoami", 7040)).toEqual([]);
    } finally {
      bot.telegram?.blocked.delete(7040);
    }
    expect(await linkOf(user.id)).toBeUndefined();
    expect(await unlinkedOf(7040)).toEqual([{ userId: user.id, chatId: 7040, reason: "blocked" }]);
    expect(bot.logLines.filter((line) => line.level === 50 && line.chatId === 7040)).toEqual([]);
  });

  test("a ban unlinks (reason banned); lifting a ban links nothing", async () => {
    const banned = await chats.linked(7050);
    const lifted = await chats.linked(7051);
    await bot.deps.bus.publish("auth.user_banned", { userId: lifted.user.id, banned: false });
    await bot.deps.bus.publish("auth.user_banned", { userId: banned.user.id, banned: true });
    expect(await unlinkedOf(7050)).toEqual([{ userId: banned.user.id, chatId: 7050, reason: "banned" }]);
    // One stream, handled in order: the lift before the ban was handled, and left the link.
    expect(await linkOf(lifted.user.id)).toMatchObject({ chatId: 7051 });
    expect(await chats.say(banned.chat, "/whoami", 7050)).toEqual([expect.stringContaining("not linked")]);
  });
});

describe("keeping the link up to date", () => {
  test("auth.role_changed changes the link's role: a promoted user may use /invite, a demoted one may not", async () => {
    const { user, chat } = await chats.linked(7060);
    expect(await chats.say(chat, "/invite", 7060)).toEqual([expect.stringContaining("only admins")]);
    await bot.deps.bus.publish("auth.role_changed", { userId: user.id, role: "admin" });
    await eventually(async () => (await linkOf(user.id))?.role === "admin");
    expect(await chats.say(chat, "/whoami", 7060)).toEqual([expect.stringContaining("role admin")]);
    expect(await chats.say(chat, "/invite", 7060)).toEqual([expect.stringContaining("https://t.me/TestNameBot?start=")]);
    await bot.deps.bus.publish("auth.role_changed", { userId: user.id, role: "user" });
    await eventually(async () => (await linkOf(user.id))?.role === "user");
    expect(await chats.say(chat, "/invite", 7060)).toEqual([expect.stringContaining("only admins")]);
  });

  test("a newer preferences version sets the language the bot answers in; an older one arriving late changes nothing", async () => {
    const { user, chat } = await chats.linked(7070);
    expect(await chats.say(chat, "/help", 7070)).toEqual([expect.stringContaining("Here is what I can do")]);
    await preferences(user.id, 2, "de-DE");
    await eventually(async () => (await linkOf(user.id))?.preferencesVersion === 2);
    expect(await chats.say(chat, "/help", 7070)).toEqual([expect.stringContaining("Das kann ich für dich tun")]);

    await preferences(user.id, 1, "en");
    // Another user's save published after it: once that is seen, the late one was handled too (one stream, in order).
    const marker = await chats.linked(7071);
    await preferences(marker.user.id, 1, "de");
    await eventually(async () => (await linkOf(marker.user.id))?.preferencesVersion === 1);
    expect(await linkOf(user.id)).toMatchObject({ language: "de-DE", preferencesVersion: 2 });
    expect(await chats.say(chat, "/whoami", 7070)).toEqual([expect.stringContaining("Dieser Chat ist mit deinem Lodge-Konto verknüpft")]);

    // Without preferences, Telegram's language code decides.
    const stranger = chats.person({ id: 7072 });
    expect(await chats.say(stranger, "/help", 7072, { languageCode: "de" })).toEqual([expect.stringContaining("Das kann ich")]);
    expect(await chats.say(stranger, "/help", 7072, { languageCode: "fr" })).toEqual([expect.stringContaining("Here is what I can do")]);
  });
});

describe("account deletion and export", () => {
  test("the export (bot:export) gives the link and the conversation; users and clients without the scope are refused", async () => {
    const { user } = await chats.linked(7080, { userName: "ada" });
    const turns = [
      { role: "user" as const, content: "What is Lodge?" },
      { role: "assistant" as const, content: "A backend." },
    ];
    await appendTurns(bot.deps, { chatId: 7080, userId: user.id, turns, ttlSeconds: 600 });
    const exporter = await bot.issuer.client("user-service", ["bot:export"]);
    const exported = await bot.call("GET", `/bot/export/${user.id}`, { token: exporter });
    expect(exported.status).toBe(200);
    expect(exported.json).toEqual({
      userId: user.id,
      telegram: { chatId: 7080, username: "ada", languageCode: null, linkedAt: bot.clock.now().toISOString() },
      conversation: turns,
    });
    const nobody = crypto.randomUUID();
    expect((await bot.call("GET", `/bot/export/${nobody}`, { token: exporter })).json).toEqual({ userId: nobody, telegram: null, conversation: [] });
    for (const token of [user.token, (await bot.issuer.admin()).token, await bot.issuer.client("other", ["ai:export"])]) {
      const refused = await bot.call("GET", `/bot/export/${user.id}`, { token });
      expect(refused.status).toBe(403);
    }
  });

  test("user.deletion_requested erases the link, deep links, session and admission, announces it; a deep link made before links nothing after", async () => {
    const { user } = await chats.linked(7090);
    const pending = await chats.deepLink(user.token);
    await bot.redis.set(sessionKey(bot.prefix, 7090), JSON.stringify({}));
    await appendTurns(bot.deps, { chatId: 7090, userId: user.id, turns: [{ role: "user", content: "private" }], ttlSeconds: 600 });
    const { code, invite } = await createInvite({
      ctx: { deps: bot.deps, logger: bot.deps.logger },
      input: { maxUses: 1, expiresAt: null, note: null, createdBy: null },
    });
    expect(await admitChat({ ctx: { deps: bot.deps, logger: bot.deps.logger }, input: { code, chatId: 7090, telegramUserId: 7090 } })).toBe(true);

    await bot.deps.bus.publish("user.deletion_requested", { userId: user.id, requestedAt: bot.clock.now().toISOString() });
    const erased = await chats.published("user.data_erased", (events) => events.some((event) => event.userId === user.id));
    expect(erased.filter((event) => event.userId === user.id)).toEqual([{ userId: user.id, service: "bot" }]);
    expect(await unlinkedOf(7090)).toEqual([{ userId: user.id, chatId: 7090, reason: "account_deleted" }]);
    expect(await linkOf(user.id)).toBeUndefined();
    expect(await bot.db.select().from(linkTokens).where(eq(linkTokens.userId, user.id))).toEqual([]);
    expect(await bot.redis.exists(sessionKey(bot.prefix, 7090), conversationKey(bot.prefix, 7090))).toBe(0);
    expect(await bot.db.select().from(admittedChats).where(eq(admittedChats.chatId, 7090))).toEqual([]);
    expect(await bot.db.select({ uses: botInvites.uses }).from(botInvites).where(eq(botInvites.id, invite.id))).toEqual([{ uses: 1 }]);

    expect(await chats.say(chats.person({ id: 7091 }), `/start ${pending}`, 7091)).toEqual([expect.stringContaining("expired or was already used")]);
    expect(await linkOfChat(7091)).toBeUndefined();
    const exporter = await bot.issuer.client("user-service", ["bot:export"]);
    expect((await bot.call("GET", `/bot/export/${user.id}`, { token: exporter })).json).toEqual({ userId: user.id, telegram: null, conversation: [] });
  });

  test("an erased user gets no deep link (403), and a token that outlived the erasure (made as it ran) links nothing", async () => {
    const user = await bot.issuer.user();
    await bot.deps.bus.publish("user.deletion_requested", { userId: user.id, requestedAt: bot.clock.now().toISOString() });
    await chats.published("user.data_erased", (events) => events.some((event) => event.userId === user.id));
    const refused = await bot.call("POST", "/bot/link", { token: user.token });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe("FORBIDDEN");
    expect(await bot.db.select().from(linkTokens).where(eq(linkTokens.userId, user.id))).toEqual([]);

    const survivor = "survivor-token-0123456789abcdef";
    await bot.db.insert(linkTokens).values({
      tokenHash: new Bun.CryptoHasher("sha256").update(survivor).digest("hex"),
      userId: user.id,
      role: "user",
      expiresAt: new Date(bot.clock.now().getTime() + 60_000),
    });
    expect(await chats.say(chats.person({ id: 7095 }), `/start ${survivor}`, 7095)).toEqual([expect.stringContaining("expired or was already used")]);
    expect(await linkOf(user.id)).toBeUndefined();
  });
});
