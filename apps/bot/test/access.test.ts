import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { admittedChats, botInvites } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { admitChat } from "../src/services/admit-chat";
import { chatsOf } from "./chats";
import { startTestBot, type TestBot } from "./harness";

/**
 * BOT_ACCESS=invite: strangers get one polite answer and then silence, invite codes admit chats
 * (once per use, counted atomically, audited), expired and revoked codes admit none, linked chats
 * and deep links from the web pass, and only admins manage codes (on the web and with /invite).
 */
let bot: TestBot;
let chats: ReturnType<typeof chatsOf>;
let admin: { id: string; token: string };
beforeAll(async () => {
  bot = await startTestBot({ env: { BOT_ACCESS: "invite" } });
  chats = chatsOf(bot);
  admin = await bot.issuer.admin();
});
afterAll(() => bot.close());

const ctx = () => ({ deps: bot.deps, logger: bot.deps.logger });

/** An invite made by the admin on the web: its code, id and deep link. */
async function invite(body: Record<string, unknown> = {}) {
  const made = await bot.call("POST", "/bot/invites", { token: admin.token, body });
  expect(made.status).toBe(201);
  return made.json as { id: string; code: string; url: string; maxUses: number; uses: number; expiresAt: string | null };
}

const usesOf = async (id: string) => (await bot.db.select({ uses: botInvites.uses }).from(botInvites).where(eq(botInvites.id, id)))[0]?.uses ?? Number.NaN;

describe("a stranger", () => {
  test("gets exactly one polite answer, then silence, whatever they send", async () => {
    const stranger = chats.person({ id: 5001 });
    expect(await chats.say(stranger, "hello?", 5001)).toEqual([expect.stringContaining("invite-only")]);
    for (const text of ["hello again", "/help", "/whoami", "/start", "/start not-a-real-code", "/invite", "/unknown"]) {
      expect({ text, answers: await chats.say(stranger, text, 5001) }).toEqual({ text, answers: [] });
    }
    expect(chats.sentTo(5001)).toHaveLength(1);
  });

  test("whose first message is a wrong code is told so, once; guessing more codes gets silence, a right one still admits", async () => {
    const guesser = chats.person({ id: 5002 });
    expect(await chats.say(guesser, "/start AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 5002)).toEqual([expect.stringContaining("not valid")]);
    expect(await chats.say(guesser, "/start BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", 5002)).toEqual([]);
    expect(await chats.say(guesser, "/start ../../etc/passwd", 5002)).toEqual([]);
    const { code } = await invite();
    expect(await chats.say(guesser, `/start ${code}`, 5002)).toEqual([expect.stringContaining("invite code was accepted")]);
    expect(await chats.say(guesser, "/help", 5002)).toEqual([expect.stringContaining("/ask")]);
  });

  test("a callback query or a group's chatter from a stranger gets nothing", async () => {
    const stranger = chats.person({ id: 5003 });
    await stranger.sendCallback(stranger.makeCallbackQuery("settings:lang:de"));
    const group = chats.person({ id: 5003, group: -5003 });
    await group.sendMessage(group.makeMessage("what does everyone think?"));
    expect(await bot.deliver()).toBe(2);
    expect(chats.sentTo(5003)).toEqual([]);
    expect(chats.sentTo(-5003)).toEqual([]);
    expect(bot.telegram?.calls.filter((call) => call.method === "answerCallbackQuery")).toEqual([]);
  });
});

describe("invite codes", () => {
  test("/start <code> admits the chat: it is answered from then on, and the admission is recorded, logged and listed", async () => {
    const made = await invite({ note: "for Grace" });
    expect(made).toMatchObject({ maxUses: 1, uses: 0, expiresAt: null, url: `https://t.me/TestNameBot?start=${made.code}` });
    const grace = chats.person({ id: 5010, userName: "grace" });
    expect(await chats.say(grace, `/start ${made.code}`, 5010)).toEqual([expect.stringContaining("invite code was accepted")]);
    expect(await chats.say(grace, "/help", 5010)).toEqual([expect.stringContaining("/remind")]);
    expect(await chats.say(grace, "/whoami", 5010)).toEqual([expect.stringContaining("not linked")]);

    expect(await bot.db.select().from(admittedChats).where(eq(admittedChats.chatId, 5010))).toMatchObject([
      { inviteId: made.id, telegramUserId: 5010, username: "grace" },
    ]);
    expect(bot.logLines).toContainEqual(expect.objectContaining({ msg: "chat admitted with an invite code", inviteId: made.id, chatId: 5010 }));
    const listed = await bot.call("GET", "/bot/invites", { token: admin.token });
    expect(listed.json.invites.find((row: { id: string }) => row.id === made.id)).toMatchObject({ uses: 1, note: "for Grace", createdBy: admin.id });
    expect(JSON.stringify(listed.json)).not.toContain(made.code);
    const uses = await bot.call("GET", `/bot/invites/${made.id}/uses`, { token: admin.token });
    expect(uses.status).toBe(200);
    expect(uses.json).toEqual({ uses: [{ chatId: 5010, telegramUserId: 5010, username: "grace", admittedAt: bot.clock.now().toISOString() }] });
  });

  test("a single-use code admits one chat and refuses the second; sending it again from the first spends nothing", async () => {
    const { id, code } = await invite();
    const first = chats.person({ id: 5020 });
    const second = chats.person({ id: 5021 });
    expect(await chats.say(first, `/start ${code}`, 5020)).toEqual([expect.stringContaining("accepted")]);
    expect(await chats.say(second, `/start ${code}`, 5021)).toEqual([expect.stringContaining("not valid")]);
    expect(await chats.say(second, "/help", 5021)).toEqual([]);
    expect(await chats.say(first, `/start ${code}`, 5020)).toEqual([expect.stringContaining("expired or was already used")]);
    expect(await usesOf(id)).toBe(1);
  });

  test("a multi-use code admits exactly as many chats as it has uses when 40 race for it", async () => {
    const { id, code } = await invite({ maxUses: 7 });
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, index) => admitChat({ ctx: ctx(), input: { code, chatId: 6000 + index, telegramUserId: 6000 + index } })),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(7);
    expect(await usesOf(id)).toBe(7);
    expect(await bot.db.select().from(admittedChats).where(eq(admittedChats.inviteId, id))).toHaveLength(7);
  });

  test("one chat sending a code many times at once (or two codes) spends one use", async () => {
    const many = await invite({ maxUses: 10 });
    const other = await invite({ maxUses: 10 });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        admitChat({ ctx: ctx(), input: { code: index % 2 ? many.code : other.code, chatId: 6100, telegramUserId: 6100 } }),
      ),
    );
    expect(outcomes.every(Boolean)).toBe(true);
    expect((await usesOf(many.id)) + (await usesOf(other.id))).toBe(1);
    expect(await bot.db.select().from(admittedChats).where(eq(admittedChats.chatId, 6100))).toHaveLength(1);
  });

  test("an expired code and a revoked code admit nobody; revoking keeps the chats admitted before", async () => {
    const expiring = await invite({ maxUses: 5, expiresAt: new Date(bot.clock.now().getTime() + 3600_000).toISOString() });
    const revoked = await invite({ maxUses: 5 });
    const early = chats.person({ id: 5030 });
    expect(await chats.say(early, `/start ${revoked.code}`, 5030)).toEqual([expect.stringContaining("accepted")]);
    expect((await bot.call("DELETE", `/bot/invites/${revoked.id}`, { token: admin.token })).status).toBe(204);
    expect((await bot.call("DELETE", `/bot/invites/${revoked.id}`, { token: admin.token })).status).toBe(204);
    expect(await chats.say(chats.person({ id: 5031 }), `/start ${revoked.code}`, 5031)).toEqual([expect.stringContaining("not valid")]);
    expect(await chats.say(early, "/help", 5030)).toEqual([expect.stringContaining("/ask")]);

    bot.clock.advance(3600_000 + 1);
    expect(await chats.say(chats.person({ id: 5032 }), `/start ${expiring.code}`, 5032)).toEqual([expect.stringContaining("not valid")]);
    expect(await usesOf(expiring.id)).toBe(0);
    expect(await usesOf(revoked.id)).toBe(1);
    admin = await bot.issuer.admin({ id: admin.id });
  });

  test("an expiry in the past is 422; an unknown invite is 404", async () => {
    const past = await bot.call("POST", "/bot/invites", { token: admin.token, body: { expiresAt: new Date(bot.clock.now().getTime() - 1000).toISOString() } });
    expect(past.status).toBe(422);
    expect(past.json.error.code).toBe("VALIDATION_FAILED");
    const unknown = crypto.randomUUID();
    expect((await bot.call("DELETE", `/bot/invites/${unknown}`, { token: admin.token })).status).toBe(404);
    expect((await bot.call("GET", `/bot/invites/${unknown}/uses`, { token: admin.token })).status).toBe(404);
  });
});

describe("who passes the gate", () => {
  test("a deep link from the web links a chat that was never admitted, which is answered from then on", async () => {
    const user = await bot.issuer.user();
    const chat = chats.person({ id: 5040 });
    expect(await chats.say(chat, `/start ${await chats.deepLink(user.token)}`, 5040)).toEqual([expect.stringContaining("linked to your Lodge account")]);
    expect(await chats.say(chat, "/whoami", 5040)).toEqual([expect.stringContaining(user.id)]);
    expect(await chats.say(chat, "just chatting", 5040)).toEqual([expect.stringContaining("/help")]);
    expect(await bot.db.select().from(admittedChats).where(eq(admittedChats.chatId, 5040))).toEqual([]);
  });
});

describe("managing codes", () => {
  test("the invite routes refuse users (403) and requests without a token (401)", async () => {
    const user = await bot.issuer.user();
    const { id } = await invite();
    const routes = [
      ["POST", "/bot/invites", {}],
      ["GET", "/bot/invites", undefined],
      ["DELETE", `/bot/invites/${id}`, undefined],
      ["GET", `/bot/invites/${id}/uses`, undefined],
    ] as const;
    for (const [method, path, body] of routes) {
      const asUser = await bot.call(method, path, { token: user.token, body });
      expect({ method, path, status: asUser.status, code: asUser.json?.error?.code }).toEqual({ method, path, status: 403, code: "FORBIDDEN" });
      const anonymous = await bot.call(method, path, { body });
      expect({ method, path, status: anonymous.status, code: anonymous.json?.error?.code }).toEqual({ method, path, status: 401, code: "UNAUTHORIZED" });
    }
    expect(await usesOf(id)).toBe(0);
    expect((await bot.db.select().from(botInvites).where(eq(botInvites.id, id)))[0]?.revokedAt).toBeNull();
  });

  test("/invite [uses] [days]: an admin's linked chat gets a code and its deep link, which admit; anyone else is refused politely", async () => {
    const { chat, user } = await chats.linked(5050, { role: "admin" });
    const [made] = await chats.say(chat, "/invite 3 2", 5050);
    expect(made).toContain("3 chats");
    expect(made).toContain("2 days");
    const code = /start=([\w-]+)/.exec(made ?? "")?.[1] ?? "";
    expect(made).toContain(`https://t.me/TestNameBot?start=${code}`);
    const [row] = await bot.db.select().from(botInvites).where(eq(botInvites.createdBy, user.id));
    expect(row).toMatchObject({ maxUses: 3, uses: 0, expiresAt: new Date(bot.clock.now().getTime() + 2 * 86_400_000) });
    expect(await chats.say(chats.person({ id: 5051 }), `/start ${code}`, 5051)).toEqual([expect.stringContaining("accepted")]);

    const [single] = await chats.say(chat, "/invite", 5050);
    expect(single).toContain("one chat");
    expect(single).toContain("7 days");
    for (const wrong of ["/invite 0", "/invite lots", "/invite 1 2 3", "/invite 5 366", "/invite -1", `/invite ${"9".repeat(5000)}`]) {
      expect({ wrong, answer: await chats.say(chat, wrong, 5050) }).toEqual({ wrong, answer: [expect.stringContaining("Send /invite")] });
    }
    expect(await chats.say(chat, "/help", 5050)).toEqual([expect.stringContaining("/invite [uses] [days]")]);

    const member = await chats.linked(5052);
    expect(await chats.say(member.chat, "/invite", 5052)).toEqual([expect.stringContaining("only admins")]);
    expect(await chats.say(member.chat, "/help", 5052)).toEqual([expect.not.stringContaining("/invite")]);
    // The early refusal made nothing.
    expect(await bot.db.select().from(botInvites).where(eq(botInvites.createdBy, member.user.id))).toEqual([]);
  });
});
