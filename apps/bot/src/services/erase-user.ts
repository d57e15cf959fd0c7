import { admittedChats, botErasedUsers, botLinks, erasedUserKey, linkTokens } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { conversationKey } from "../helpers/conversation";
import { lockLinksOf } from "../helpers/link-lock";
import { sessionKey } from "../helpers/session-key";

/**
 * Account deletion: the user's chat link (with `telegram.unlinked`, reason `account_deleted`), the
 * chat's invite admission and their unused deep links go in one transaction that also publishes
 * `user.data_erased` (service "bot"); the chat's session and its /ask conversation go
 * before it, so a retry after a Redis failure still finds the chat. The user is remembered as
 * erased (by a hash of the id), so a deep link made just before cannot link them again. Safe to
 * run again.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db, outbox, redis, redisPrefix, clock } = ctx.deps;
  const [linked] = await db.select({ chatId: botLinks.chatId }).from(botLinks).where(eq(botLinks.userId, input.userId));
  if (linked) await redis.del(sessionKey(redisPrefix, linked.chatId), conversationKey(redisPrefix, linked.chatId));
  const link = await outbox.transaction(async (tx) => {
    await lockLinksOf(tx, input.userId);
    await tx
      .insert(botErasedUsers)
      .values({ userKey: erasedUserKey(input.userId), erasedAt: clock() })
      .onConflictDoNothing();
    await tx.delete(linkTokens).where(eq(linkTokens.userId, input.userId));
    const [removed] = await tx.delete(botLinks).where(eq(botLinks.userId, input.userId)).returning({ chatId: botLinks.chatId });
    if (removed) {
      await outbox.enqueue(tx, "telegram.unlinked", { userId: input.userId, chatId: removed.chatId, reason: "account_deleted" }, ctx.requestId);
      // The invite audit's row about their chat names their Telegram account; the invite's `uses` still counts it.
      await tx.delete(admittedChats).where(eq(admittedChats.chatId, removed.chatId));
    }
    await outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "bot" }, ctx.requestId);
    return removed;
  });
  // An update of the chat handled meanwhile may have written its session again.
  if (link) await redis.del(sessionKey(redisPrefix, link.chatId), conversationKey(redisPrefix, link.chatId));
  return { unlinked: link !== undefined };
}
