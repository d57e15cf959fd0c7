import { botErasedUsers, botLinks, erasedUserKey, linkTokens } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Account deletion: the user's chat link (with `telegram.unlinked`, reason `account_deleted`), their
 * unused deep links and the chat's session (the conversation's last turns) go, in one transaction
 * that also publishes `user.data_erased` (service "bot"). The user is remembered as erased (by a
 * hash of the id), so a deep link made just before cannot link them again. Safe to run again.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { outbox, redis, redisPrefix, clock } = ctx.deps;
  const link = await outbox.transaction(async (tx) => {
    await tx
      .insert(botErasedUsers)
      .values({ userKey: erasedUserKey(input.userId), erasedAt: clock() })
      .onConflictDoNothing();
    await tx.delete(linkTokens).where(eq(linkTokens.userId, input.userId));
    const [removed] = await tx.delete(botLinks).where(eq(botLinks.userId, input.userId)).returning({ chatId: botLinks.chatId });
    if (removed) await outbox.enqueue(tx, "telegram.unlinked", { userId: input.userId, chatId: removed.chatId, reason: "account_deleted" }, ctx.requestId);
    await outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "bot" }, ctx.requestId);
    return removed;
  });
  if (link) await redis.del(sessionKey(redisPrefix, link.chatId));
  return { unlinked: link !== undefined };
}

/** Where grammY's session of a chat lives in Redis (bot/session-storage.ts writes it). */
export function sessionKey(prefix: string, chatId: number | string) {
  return `${prefix}bot:session:${chatId}`;
}
