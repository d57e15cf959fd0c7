import { botLinks } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { ChatLink } from "../bot/context";
import type { Ctx } from "../deps";

/** The Lodge user a chat is linked to, or null. */
export async function getChatLink({ ctx, input }: { ctx: Ctx; input: { chatId: number } }): Promise<ChatLink | null> {
  const [link] = await ctx.deps.db
    .select({ userId: botLinks.userId, role: botLinks.role, language: botLinks.language })
    .from(botLinks)
    .where(eq(botLinks.chatId, input.chatId));
  return link ?? null;
}
