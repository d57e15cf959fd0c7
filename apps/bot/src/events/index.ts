import { botLinks } from "@lodge/db/schema";
import type { Consumers } from "@lodge/kit";
import { and, eq, lt } from "drizzle-orm";
import type { BotDeps } from "../deps";
import { eraseUser } from "../services/erase-user";
import { unlinkChat } from "../services/unlink-chat";

/** What the bot service consumes (consumer group "bot"): account deletions, bans, roles and language changes of linked users. */
export const consumers: Consumers<BotDeps> = {
  "user.deletion_requested": async (event, ctx) => {
    const erased = await eraseUser({ ctx, input: { userId: event.data.userId } });
    ctx.logger.info({ userId: event.data.userId, ...erased }, "user's Telegram link erased");
  },
  "auth.user_banned": async (event, ctx) => {
    if (event.data.banned) await unlinkChat({ ctx, input: { userId: event.data.userId, reason: "banned" } });
  },
  "auth.role_changed": async (event, ctx) => {
    await ctx.deps.db.update(botLinks).set({ role: event.data.role }).where(eq(botLinks.userId, event.data.userId));
  },
  "user.preferences_updated": async (event, ctx) => {
    const { userId, version, preferences } = event.data;
    await ctx.deps.db
      .update(botLinks)
      .set({ language: preferences.language, preferencesVersion: version })
      .where(and(eq(botLinks.userId, userId), lt(botLinks.preferencesVersion, version)));
  },
};
