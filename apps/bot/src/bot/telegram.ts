import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { BotDeps } from "../deps";
import { unlinkChat } from "../services/unlink-chat";
import { botCommands } from "./commands";
import type { BotContext } from "./context";
import { createBot } from "./create-bot";

export type Telegram = {
  bot: Bot<BotContext>;
  /** The bot's @username (deep links), once `getMe` answered. */
  username: () => string | undefined;
  /** /ready: whether `getMe` answered at start (asked again while it has not). */
  ready: () => Promise<void>;
  /** Runs an update through the bot, its handlers seeing `receivedAt` as when it came (`ctx.receivedAt`). */
  handle: (update: Update, receivedAt: Date) => Promise<void>;
};

/**
 * The bot, when TELEGRAM_BOT_TOKEN is set (the boot log says how to set it otherwise): `getMe`
 * once at start (again from /ready until it answers), the commands registered per language, and
 * a send refused with 403 (the user blocked the bot) unlinks that chat.
 */
export async function connectTelegram(deps: BotDeps): Promise<Telegram | null> {
  const token = deps.env.TELEGRAM_BOT_TOKEN;
  if (!token) {
    deps.logger.info("TELEGRAM_BOT_TOKEN is unset: the Telegram bot is off (create one with @BotFather, set TELEGRAM_BOT_TOKEN; see the README's bot section)");
    return null;
  }
  // The time each update came, by the update grammY hands its handlers (the same object).
  const receivedAt = new WeakMap<Update, Date>();
  const bot = createBot(token, deps, { receivedAtOf: (update) => receivedAt.get(update) });
  bot.api.config.use(async (call, method, payload, signal) => {
    const result = await call(method, payload, signal);
    const chatId = payload && "chat_id" in payload ? Number(payload.chat_id) : Number.NaN;
    if (!result.ok && result.error_code === 403 && Number.isSafeInteger(chatId)) {
      const ctx = { deps, logger: deps.logger.child({ chatId }) };
      if (await unlinkChat({ ctx, input: { chatId, reason: "blocked" } })) ctx.logger.info("the chat blocked the bot: unlinked");
    }
    return result;
  });

  let initialised: Promise<void> | undefined;
  const init = () => {
    initialised ??= bot.init().then(
      () => registerCommands(bot, deps),
      (error) => {
        initialised = undefined;
        throw error;
      },
    );
    return initialised;
  };
  await init().catch((error) => deps.logger.warn({ err: error }, "Telegram's getMe failed: the bot waits for it (see /ready)"));

  return {
    bot,
    username: () => (bot.isInited() ? bot.botInfo.username : undefined),
    ready: init,
    handle: (update, at) => {
      receivedAt.set(update, at);
      return bot.handleUpdate(update);
    },
  };
}

/** `setMyCommands` per language, so Telegram's menu shows them translated; a failure is logged, not fatal. */
async function registerCommands(bot: Bot<BotContext>, deps: BotDeps) {
  try {
    for (const { language, commands } of botCommands()) {
      await bot.api.setMyCommands(commands, language === "en" ? {} : { language_code: language });
    }
  } catch (error) {
    deps.logger.warn({ err: error }, "setMyCommands failed: Telegram's command menu is not updated");
  }
}
