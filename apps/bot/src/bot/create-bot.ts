import { autoRetry } from "@grammyjs/auto-retry";
import { Bot, type Composer, GrammyError, lazySession } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import type { BotDeps } from "../deps";
import { getChatLink } from "../services/get-chat-link";
import { countApiCalls } from "../updates/metrics";
import { accessGate } from "./access";
import type { BotContext, SessionData } from "./context";
import { account } from "./features/account/index";
import { ask } from "./features/ask/index";
import { fallback } from "./features/fallback/index";
import { help } from "./features/help/index";
import { invites } from "./features/invites/index";
import { reminders } from "./features/reminders/index";
import { settings } from "./features/settings/index";
import { start } from "./features/start/index";
import { createI18n } from "./i18n";
import { redisSessionStorage } from "./session-storage";

/**
 * The bot's features, in the order they are asked; the fallback (help for anything else) comes
 * last, and `ask` just before it (in plain-text mode it takes any text).
 */
const features: ((deps: BotDeps) => Composer<BotContext>)[] = [start, help, account, invites, reminders, settings, ask];

/**
 * The Telegram bot: grammY over the Bot API at TELEGRAM_API_ROOT (429s and 5xx retried by
 * auto-retry), a session per chat in Redis, the chat's Lodge link, translations, the invite-only
 * gate, then the features behind an error boundary: a handler that fails is logged and the chat
 * told so, once. What fails before the features (Redis, Postgres) is thrown to the caller, whose
 * queue runs the update again.
 */
export function createBot(
  token: string,
  deps: BotDeps,
  options: { botInfo?: UserFromGetMe; receivedAtOf?: (update: Update) => Date | undefined } = {},
): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, { botInfo: options.botInfo, client: { apiRoot: deps.env.TELEGRAM_API_ROOT } });
  // Beneath auto-retry: every attempt is counted, each 429 too.
  bot.api.config.use(countApiCalls(deps.metrics.registry));
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60 }));
  bot.use(async (ctx, next) => {
    const requestId = `bot-update-${ctx.update.update_id}`;
    ctx.lodge = { deps, requestId, logger: deps.logger.child({ requestId, chatId: ctx.chat?.id }) };
    ctx.receivedAt = options.receivedAtOf?.(ctx.update) ?? deps.clock();
    ctx.link = ctx.chat ? await getChatLink({ ctx: ctx.lodge, input: { chatId: ctx.chat.id } }) : null;
    await next();
  });
  // Lazy: Redis is read (and written back) only when a handler reads the session, not on every update.
  bot.use(
    lazySession({
      initial: (): SessionData => ({}),
      storage: redisSessionStorage<SessionData>({ redis: deps.redis, prefix: deps.redisPrefix, ttlSeconds: deps.env.BOT_SESSION_TTL_SECONDS }),
    }),
  );
  bot.use(createI18n());
  bot.use(accessGate);
  const guarded = bot.errorBoundary(async (error) => {
    const ctx = error.ctx;
    // The user blocked the bot while it answered: the chat is unlinked (telegram.ts), there is no one to tell.
    if (error.error instanceof GrammyError && error.error.error_code === 403) return ctx.lodge.logger.info("the chat no longer takes messages from the bot");
    ctx.lodge.logger.error({ err: error.error }, "bot handler failed");
    if (ctx.chat) await ctx.reply(ctx.t("error-generic")).catch(() => undefined);
  });
  for (const feature of features) guarded.use(feature(deps));
  guarded.use(fallback());
  return bot;
}
