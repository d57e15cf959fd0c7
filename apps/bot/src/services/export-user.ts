import { botLinks } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { SessionData } from "../bot/context";
import type { Ctx } from "../deps";
import { sessionKey } from "../helpers/session-key";

/** What the bot holds about a user, for their export: the chat link and that chat's conversation with the AI (the session's last turns). */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const [link] = await ctx.deps.db.select().from(botLinks).where(eq(botLinks.userId, input.userId));
  const session = link ? await ctx.deps.redis.get(sessionKey(ctx.deps.redisPrefix, link.chatId)) : null;
  return {
    userId: input.userId,
    telegram: link ? { chatId: link.chatId, username: link.username, languageCode: link.languageCode, linkedAt: link.createdAt.toISOString() } : null,
    conversation: session ? (JSON.parse(session) as SessionData).turns : [],
  };
}
