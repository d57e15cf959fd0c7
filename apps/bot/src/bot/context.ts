import type { I18nFlavor } from "@grammyjs/i18n";
import type { Context, LazySessionFlavor } from "grammy";
import type { Ctx } from "../deps";

/** The chat's Lodge user, when the chat is linked. */
export type ChatLink = { userId: string; role: string; language: string | null };

/**
 * What the bot keeps per chat between updates (in Redis, with a TTL); features add their fields.
 * The `/ask` conversation is kept apart (helpers/conversation.ts): it is written when an answer
 * ends, after its update, and grammY writes a session back whole at the end of every update.
 */
export type SessionData = Record<string, never>;

/** Every handler's context: grammY's, the session, translations, the chat's link and `lodge`, what the service's functions take. */
export type BotContext = Context &
  LazySessionFlavor<SessionData> &
  I18nFlavor & {
    /** The service's deps, a logger and a request id (`bot-update-<update_id>`) following the update through the calls it makes. */
    lodge: Ctx;
    link: ChatLink | null;
    /** When the update came (queued), on the service's clock: the same on every attempt at it. */
    receivedAt: Date;
  };
