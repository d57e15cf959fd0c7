import { botOutbox } from "@lodge/db/schema";
import { type Check, connectToServices, defineService, type ServiceBase, type StartOptions, startService } from "@lodge/kit";
import { connectTelegram } from "./bot/telegram";
import type { BotDeps } from "./deps";
import { type BotEnv, botEnv } from "./env";
import { consumers } from "./events/index";
import { createChatTasks } from "./helpers/chat-tasks";
import { exportRoutes } from "./routes/export/index";
import { inviteRoutes } from "./routes/invites/index";
import { linkRoutes } from "./routes/link/index";
import { webhookRoutes } from "./routes/webhook/index";
import { isWebhookCall } from "./routes/webhook/receive";
import { startUpdatePipeline } from "./updates/index";

export type BotServiceOptions = StartOptions<BotEnv>;

/** How long stopping waits for AI answers under way, after the update workers' own drain (compose gives a service 30 s). */
const CHAT_TASKS_GRACE_MS = 8000;

export const botService = defineService<BotEnv, BotDeps>({
  name: "bot",
  env: botEnv,
  openApi: {
    prefix: "/bot",
    title: "Lodge Telegram bot",
    description: "The Telegram bot: its webhook, linking a Telegram chat to a Lodge account by deep link, and invite codes for an invite-only bot.",
  },
  outbox: botOutbox,
  tokens: "jwks",
  build: async (base, options) => {
    const { env } = options;
    const services = connectServices(env, base);
    const deps = { env, services, chatTasks: createChatTasks({ logger: base.logger }), telegram: null, updates: null };
    const telegram = await connectTelegram({ ...base, ...deps } as BotDeps);
    return { ...deps, telegram, updates: telegram ? startUpdatePipeline({ ...base, env }, telegram) : null };
  },
  routes: (deps) => [linkRoutes(deps), inviteRoutes(deps), exportRoutes(deps), webhookRoutes(deps)],
  http: { rawBody: isWebhookCall },
  consumers,
  ready: (deps): Record<string, Check> => (deps.telegram ? { telegram: deps.telegram.ready } : {}),
  close: async (deps) => {
    await deps.updates?.stop();
    // Answers under way get a while to finish, then are cut off (the chat is told).
    await deps.chatTasks.drain(CHAT_TASKS_GRACE_MS);
  },
});

/** The other services, acting for linked users; none without a client secret (the boot log says so). */
function connectServices(env: BotEnv, base: ServiceBase) {
  if (!env.BOT_CLIENT_SECRET) {
    base.logger.info(
      "BOT_CLIENT_SECRET is unset: linked chats cannot ask the AI, set reminders or change settings (set it, and add the bot's client to auth's AUTH_CLIENTS)",
    );
    return null;
  }
  return connectToServices({
    urls: { auth: env.AUTH_URL, user: env.USER_URL, ai: env.AI_URL, notification: env.NOTIFICATION_URL },
    client: { id: env.BOT_CLIENT_ID, secret: env.BOT_CLIENT_SECRET },
    timeoutMs: env.BOT_SERVICE_TIMEOUT_MS,
    logger: base.logger,
    clock: base.clock,
  });
}

/** Builds every dependency once and returns the app, its deps and a close(). */
export const startBotService = (options: BotServiceOptions) => startService(botService, options);
