import type { Ctx as KitCtx, RemoteServices, ServiceBase, WithOutbox } from "@lodge/kit";
import type { Telegram } from "./bot/telegram";
import type { BotEnv } from "./env";
import type { ChatTasks } from "./helpers/chat-tasks";
import type { UpdatePipeline } from "./updates/index";

/** What the kit builds for every service, plus the bot service's own (see service.ts); built once at boot. */
export type BotDeps = ServiceBase &
  WithOutbox & {
    env: BotEnv;
    /** The Telegram bot and its API (null when TELEGRAM_BOT_TOKEN is unset: the routes still answer, no chat does). */
    telegram: Telegram | null;
    /** The update pipeline (webhook or polling, the queue, this instance's workers); null without a bot. */
    updates: UpdatePipeline | null;
    /** The user, AI and notification services with this service's client token, acting for linked users (null without BOT_CLIENT_SECRET). */
    services: RemoteServices<"user" | "ai" | "notification"> | null;
    /** Slow work handed off by updates (AI answers), in order per chat, outside the update worker. */
    chatTasks: ChatTasks;
  };

export type Ctx = KitCtx<BotDeps>;
