import type { EventType } from "@lodge/events";
import { eventually } from "@lodge/kit/testing";
import type { Update } from "grammy/types";
import type { TelegramChat, TestBot } from "./harness";

/** Helpers the bot's tests share: people in chats, what the bot said to them, what it published. */
export function chatsOf(bot: TestBot) {
  const telegram = bot.telegram;
  if (!telegram) throw new Error("the bot runs without Telegram");

  /** A person in a private chat (chat id = their user id), or in a group with `group`. */
  const person = (options: { id: number; userName?: string; group?: number }): TelegramChat =>
    telegram.client({
      userId: options.id,
      chatId: options.group ?? options.id,
      userName: options.userName ?? `user${options.id}`,
      type: options.group ? "group" : "private",
    });

  /** Every text the bot sent to a chat, oldest first. */
  const sentTo = (chatId: number) => telegram.to(chatId).map((message) => String(message.text));

  /** Sends a command (or a message, when it does not start with `/`) and lets the bot handle it; returns what the bot answered to that chat. */
  async function say(chat: TelegramChat, text: string, chatId: number, options: { languageCode?: string } = {}) {
    const before = sentTo(chatId).length;
    const from = options.languageCode ? { from: { language_code: options.languageCode } } : {};
    if (text.startsWith("/")) await chat.sendCommand(chat.makeCommand(text, from as never));
    else await chat.sendMessage(chat.makeMessage(text, from as never));
    await bot.deliver();
    return sentTo(chatId).slice(before);
  }

  /** The `start` payload of a deep link. */
  const payloadOf = (url: string) => new URL(url).searchParams.get("start") as string;

  /** A web user's deep link (POST /bot/link). */
  async function deepLink(token: string) {
    const made = await bot.call("POST", "/bot/link", { token });
    if (made.status !== 201) throw new Error(`POST /bot/link: ${made.status} ${made.text}`);
    return payloadOf(made.json.url);
  }

  /** A web user (an admin with `role`) whose account is linked to the private chat `id`. */
  async function linked(id: number, options: { role?: "user" | "admin"; userName?: string } = {}) {
    const user = options.role === "admin" ? await bot.issuer.admin() : await bot.issuer.user();
    const chat = person({ id, userName: options.userName });
    await bot.link(chat, user.token);
    if (!sentTo(id).at(-1)?.includes("linked to your Lodge account")) throw new Error(`not linked: ${sentTo(id).join(" | ")}`);
    return { user, chat };
  }

  /** The events of a type the service published, once `until` holds for them (the outbox publishes after the commit). */
  async function published(type: EventType, until: (events: Record<string, unknown>[]) => boolean = (events) => events.length > 0) {
    return eventually(async () => {
      const entries = (await bot.redis.xrange(bot.deps.bus.streamKey(type), "-", "+")) as [string, string[]][];
      const events = entries.map(([, fields]) => (JSON.parse(fields[fields.indexOf("event") + 1] ?? "{}") as { data: Record<string, unknown> }).data);
      return until(events) && events;
    });
  }

  let rawUpdates = 0;
  /**
   * An update telegram-test-api's clients cannot make (a `my_chat_member`, a sticker, an edit), put
   * through the update pipeline as Telegram's delivery would (ids far above the emulator's); returns
   * what the pipeline made of it once its workers are done.
   */
  async function handle(update: Omit<Update, "update_id">) {
    const pipeline = bot.deps.updates;
    if (!pipeline) throw new Error("the bot is off");
    rawUpdates += 1;
    const outcome = await pipeline.accept({ update_id: 900_000_000 + rawUpdates, ...update } as Update);
    await bot.settled();
    return outcome;
  }

  return { telegram, person, sentTo, say, deepLink, payloadOf, linked, published, handle };
}
