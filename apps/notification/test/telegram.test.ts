import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { recipients, telegramLinks } from "@lodge/db/schema";
import { defaultPreferences } from "@lodge/events";
import { eventually } from "@lodge/kit/testing";
import { startTestTelegram } from "@lodge/kit/testing/telegram";
import { eq } from "drizzle-orm";
import { createNotification } from "../src/services/create-notification";
import { startTestNotifications, type TestNotifications } from "./harness";

/** Telegram end to end: chats linked by the bot's events, messages sent with grammY to a Bot API emulator. */
let t: TestNotifications;
let telegram: Awaited<ReturnType<typeof startTestTelegram>>;

beforeAll(async () => {
  telegram = await startTestTelegram();
  t = await startTestNotifications({ env: telegram.env });
});
afterAll(async () => {
  await t.close();
  await telegram.stop();
});

const announce = (userId: string, data: { title: string; body: string; link?: string }) =>
  createNotification({ ctx: t.ctx, input: { userId, type: "system.announcement", data } });
const finished = (notificationId: string) =>
  eventually(async () => {
    const row = (await t.deliveriesOf(notificationId)).find((entry) => entry.channel === "telegram");
    return row && row.status !== "pending" && row;
  });
let chats = 1000;

/** A user who linked a chat and turned Telegram on in their preferences (it is off by default). */
async function linkedUser() {
  const user = await t.user();
  const chatId = ++chats;
  const notifications = { ...defaultPreferences.notifications, telegram: { enabled: true, frequency: "instant" as const } };
  await t.publish("user.preferences_updated", {
    userId: user.id,
    version: 1,
    preferences: { ...defaultPreferences, notifications },
    updatedAt: t.now().toISOString(),
  });
  await t.publish("telegram.linked", { userId: user.id, chatId, username: "someone" });
  await eventually(async () => (await t.db.select().from(telegramLinks).where(eq(telegramLinks.userId, user.id))).length === 1);
  await eventually(async () => (await t.db.select().from(recipients).where(eq(recipients.userId, user.id)))[0]?.preferencesVersion === 1);
  return { user, chatId };
}

describe("Telegram", () => {
  test("a notification is sent to the linked chat in HTML parse mode, the data escaped", async () => {
    const { user, chatId } = await linkedUser();
    const notification = await announce(user.id, { title: "Dark <mode> & more", body: "It's <b>here</b>", link: "https://app.example.com/news?a=1&b=2" });
    expect(await finished(notification.id)).toMatchObject({ status: "sent", attempts: 1 });
    const [message] = telegram.to(chatId);
    expect(message).toMatchObject({ parse_mode: "HTML" });
    expect(message?.text).toBe(
      '<b>Dark &lt;mode&gt; &amp; more</b>\n\nIt&#39;s &lt;b&gt;here&lt;/b&gt;\n\n<a href="https://app.example.com/news?a=1&amp;b=2">Open</a>',
    );
  });

  test("without a linked chat the delivery is skipped (no_address); an unlinked chat gets nothing", async () => {
    const { user, chatId } = await linkedUser();
    await t.publish("telegram.unlinked", { userId: user.id, chatId, reason: "unlinked" });
    await eventually(async () => (await t.db.select().from(telegramLinks).where(eq(telegramLinks.userId, user.id))).length === 0);
    const notification = await announce(user.id, { title: "Hi", body: "There" });
    expect((await t.deliveriesOf(notification.id)).find((row) => row.channel === "telegram")).toMatchObject({ status: "skipped", reason: "no_address" });
    expect(telegram.to(chatId)).toEqual([]);
  });

  test("a 429 delays the job by retry_after, then it is sent once", async () => {
    const { user, chatId } = await linkedUser();
    telegram.rateLimit(1);
    const notification = await announce(user.id, { title: "Busy", body: "Flood control" });
    expect(await finished(notification.id)).toMatchObject({ status: "sent", attempts: 2 });
    expect(telegram.to(chatId)).toHaveLength(1);
  });

  test("a 403 (the user blocked the bot) removes the link", async () => {
    const { user, chatId } = await linkedUser();
    telegram.blocked.add(chatId);
    const notification = await announce(user.id, { title: "Blocked", body: "Nobody reads this" });
    expect(await finished(notification.id)).toMatchObject({ status: "failed", reason: "address_gone" });
    expect(await t.db.select().from(telegramLinks).where(eq(telegramLinks.userId, user.id))).toEqual([]);
  });

  test("a chat linked anew to another user leaves the first; erasing the user erases the link", async () => {
    const { user, chatId } = await linkedUser();
    const other = await t.user();
    await t.publish("telegram.linked", { userId: other.id, chatId });
    await eventually(async () => (await t.db.select().from(telegramLinks).where(eq(telegramLinks.chatId, chatId)))[0]?.userId === other.id);
    expect(await t.db.select().from(telegramLinks).where(eq(telegramLinks.userId, user.id))).toEqual([]);
    await t.publish("user.deletion_requested", { userId: other.id, requestedAt: t.now().toISOString() });
    await eventually(async () => (await t.db.select().from(telegramLinks).where(eq(telegramLinks.userId, other.id))).length === 0);
  });
});
