import { telegramLinks } from "@lodge/db/schema";
import { and, eq, ne } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Records the bot's `telegram.linked`: the user's Telegram deliveries go to this chat from now on.
 * A chat is linked to one user: linking it anew unlinks whoever had it. Idempotent.
 */
export async function linkTelegram({ ctx, input }: { ctx: Ctx; input: { userId: string; chatId: number; linkedAt: Date } }) {
  await ctx.deps.db.transaction(async (tx) => {
    await tx.delete(telegramLinks).where(and(eq(telegramLinks.chatId, input.chatId), ne(telegramLinks.userId, input.userId)));
    await tx
      .insert(telegramLinks)
      .values(input)
      .onConflictDoUpdate({ target: telegramLinks.userId, set: { chatId: input.chatId, linkedAt: input.linkedAt } });
  });
}
