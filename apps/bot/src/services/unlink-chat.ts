import { botLinks } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

type UnlinkReason = "unlinked" | "blocked" | "banned" | "account_deleted";

/**
 * Removes a chat's link, found by the user or by the chat, and publishes `telegram.unlinked` in the
 * same transaction. False when there was none (safe to run again).
 */
export async function unlinkChat({ ctx, input }: { ctx: Ctx; input: ({ userId: string } | { chatId: number }) & { reason: UnlinkReason } }) {
  const { outbox } = ctx.deps;
  return outbox.transaction(async (tx) => {
    const [removed] = await tx
      .delete(botLinks)
      .where("userId" in input ? eq(botLinks.userId, input.userId) : eq(botLinks.chatId, input.chatId))
      .returning({ userId: botLinks.userId, chatId: botLinks.chatId });
    if (!removed) return false;
    await outbox.enqueue(tx, "telegram.unlinked", { ...removed, reason: input.reason }, ctx.requestId);
    return true;
  });
}
