import { botLinks } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { loadTurns } from "../helpers/conversation";

/** What the bot holds about a user, for their export: the chat link and that chat's conversation with the AI (its last turns). */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const [link] = await ctx.deps.db.select().from(botLinks).where(eq(botLinks.userId, input.userId));
  return {
    userId: input.userId,
    telegram: link ? { chatId: link.chatId, username: link.username, languageCode: link.languageCode, linkedAt: link.createdAt.toISOString() } : null,
    conversation: link ? await loadTurns(ctx.deps, { chatId: link.chatId, userId: input.userId }) : [],
  };
}
