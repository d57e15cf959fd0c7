import { telegramLinks } from "@lodge/db/schema";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Records `telegram.unlinked`: only the link to that chat goes (a later link to another chat stays). */
export async function unlinkTelegram({ ctx, input }: { ctx: Ctx; input: { userId: string; chatId: number } }) {
  await ctx.deps.db.delete(telegramLinks).where(and(eq(telegramLinks.userId, input.userId), eq(telegramLinks.chatId, input.chatId)));
}
