/**
 * The Telegram bot end to end through the production Caddyfile, every service a process of its
 * own: a user registered on the web links their Telegram chat by deep link, asks the AI (a local
 * fake OpenAI upstream behind the real AI service; the answer streamed into the chat), sets a
 * reminder in their time zone (created at the notification service for them), switches the
 * bot's language in /settings (saved at the user service), and an admin runs the bot
 * invite-only. Telegram is telegram-test-api behind the kit's layer; the bot long-polls it, as in
 * development.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeOpenAi, startFakeOpenAi } from "@lodge/ai/testing";
import { eventually } from "@lodge/kit/testing";
import { startTestTelegram, type TestTelegram } from "@lodge/kit/testing/telegram";
import { call, type Stack, startStack } from "./stack";

let stack: Stack;
let fake: FakeOpenAi;
let telegram: TestTelegram;
let adminToken: string;

beforeAll(async () => {
  fake = startFakeOpenAi();
  telegram = await startTestTelegram();
  stack = await startStack({
    services: {
      user: {},
      notification: telegram.env,
      ai: { OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.url },
      bot: { ...telegram.env, BOT_ACCESS: "invite" },
    },
  });
  adminToken = await stack.admin();
}, 90_000);
afterAll(async () => {
  await stack?.stop();
  await telegram?.stop();
  fake?.stop();
});

/** Every text the bot sent to a chat as it stands now (edits applied), oldest first. */
const textsTo = (chatId: number) => telegram.to(chatId).map((message) => String(message.text));

/** Sends a command or a message from a person, and waits for the bot's answer in that chat that satisfies `until`. */
async function say(chatId: number, text: string, until: (texts: string[]) => boolean) {
  const chat = telegram.client({ chatId, userId: chatId, userName: `person${chatId}` });
  const before = textsTo(chatId).length;
  await (text.startsWith("/") ? chat.sendCommand(chat.makeCommand(text)) : chat.sendMessage(chat.makeMessage(text)));
  return eventually(() => {
    const answers = textsTo(chatId).slice(before);
    return until(answers) && answers;
  }, 30_000);
}

async function registered() {
  const email = `bot-user-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const response = await call(stack.url, "POST", "/auth/register", { body: { email, password: "a password for the bot's user" } });
  expect(response.status).toBe(201);
  return { id: response.json.user.id as string, token: response.json.accessToken as string };
}

describe("the Telegram bot through Caddy", () => {
  const chatId = 7_100_001;
  let user: { id: string; token: string };

  test("a web user links their chat by deep link, and the bot knows them", async () => {
    user = await registered();
    const made = await call(stack.url, "POST", "/bot/link", { token: user.token });
    expect(made.status).toBe(201);
    const payload = new URL(made.json.url).searchParams.get("start");
    await say(chatId, `/start ${payload}`, (texts) => texts.some((text) => text.includes("linked to your Lodge account")));
    expect((await call(stack.url, "GET", "/bot/link", { token: user.token })).json).toMatchObject({ linked: true, chatId });
    await say(chatId, "/whoami", (texts) => texts.some((text) => text.includes(user.id)));
  }, 60_000);

  test("/ask reaches the AI service for the user: the answer arrives in the chat, and the call is the user's usage", async () => {
    await say(chatId, "/ask What is Lodge?", (texts) => texts.some((text) => text.includes("You said: What is Lodge?")));
    const usage = await eventually(async () => {
      const response = await call(stack.url, "GET", "/ai/usage?groupBy=model", { token: user.token });
      return response.status === 200 && JSON.stringify(response.json).includes("gpt-4o-mini") && response.json;
    });
    expect(JSON.stringify(usage)).toContain("gpt-4o-mini");
  }, 60_000);

  test("/remind in the user's time zone makes the user's reminder at the notification service", async () => {
    const zone = await call(stack.url, "PATCH", "/users/me", { token: user.token, body: { timezone: "Asia/Tokyo" } });
    expect(zone.status).toBe(200);
    await say(chatId, "/remind tomorrow 9:00 water the plants", (texts) => texts.some((text) => text.includes("water the plants")));
    const listed = await call(stack.url, "GET", "/notifications/reminders", { token: user.token });
    expect(listed.status).toBe(200);
    const reminder = listed.json.reminders as { text: string; timeZone: string; nextAt: string; channels: string[] | null }[];
    expect(reminder).toMatchObject([{ text: "water the plants", timeZone: "Asia/Tokyo", channels: ["telegram"] }]);
    const next = new Date((reminder[0] as { nextAt: string }).nextAt);
    const tokyo = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(next);
    expect(tokyo).toBe("09:00");
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(48 * 3600_000);
  }, 60_000);

  test("/settings switches the bot's language, saved in the user's preferences", async () => {
    await say(chatId, "/settings", (texts) => texts.length > 0);
    const message = telegram.to(chatId).at(-1) as { message_id: number; reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] } };
    const german = message.reply_markup?.inline_keyboard?.flat().find((button) => button.callback_data === "st:lang:de");
    expect(german).toBeDefined();
    const chat = telegram.client({ chatId, userId: chatId });
    await chat.sendCallback(chat.makeCallbackQuery("st:lang:de", { message: { message_id: message.message_id } }));
    const preferences = await eventually(async () => {
      const response = await call(stack.url, "GET", "/users/me/preferences", { token: user.token });
      return response.json.preferences?.language === "de" && response.json.preferences;
    });
    expect(preferences.language).toBe("de");
    const help = await say(chatId, "/help", (texts) => texts.length > 0);
    expect(help.join("\n")).toContain("Das kann ich für dich tun");
  }, 60_000);

  test("invite-only: a stranger gets one polite answer; an admin's code admits them", async () => {
    const stranger = 7_100_002;
    const refused = await say(stranger, "/help", (texts) => texts.length > 0);
    expect(refused.join("\n")).toContain("invite-only");
    const invite = await call(stack.url, "POST", "/bot/invites", { token: adminToken, body: { maxUses: 1, note: "for the stranger" } });
    expect(invite.status).toBe(201);
    const admitted = await say(stranger, `/start ${invite.json.code}`, (texts) => texts.length > 0);
    expect(admitted.join("\n")).toContain("invite code was accepted");
    const help = await say(stranger, "/help", (texts) => texts.length > 0);
    expect(help.join("\n")).toContain("/ask");
    const forUser = await call(stack.url, "POST", "/bot/invites", { token: user.token, body: { maxUses: 1 } });
    expect(forUser.status).toBe(403);
  }, 60_000);
});
