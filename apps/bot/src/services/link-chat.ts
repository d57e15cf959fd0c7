import { botErasedUsers, botLinks, erasedUserKey, linkTokens } from "@lodge/db/schema";
import { secretTokenHash } from "@lodge/kit";
import { and, eq, gt, or } from "drizzle-orm";
import type { Ctx } from "../deps";

type LinkChatInput = { token: string; chatId: number; username?: string; languageCode?: string };

/**
 * `/start <token>`: spends a deep-link token (once, before it expires) and links the chat to its
 * user in one transaction. One chat per user and one user per chat: a link either side had is
 * moved (`telegram.unlinked` with reason `relinked`), then `telegram.linked` is published.
 * Null when the token is unknown, used or expired, or its user was erased meanwhile.
 */
export async function linkChat({ ctx, input }: { ctx: Ctx; input: LinkChatInput }) {
  const { outbox, clock } = ctx.deps;
  return outbox.transaction(async (tx) => {
    const [spent] = await tx
      .delete(linkTokens)
      .where(and(eq(linkTokens.tokenHash, secretTokenHash(input.token)), gt(linkTokens.expiresAt, clock())))
      .returning({ userId: linkTokens.userId, role: linkTokens.role });
    if (!spent) return null;
    const [erased] = await tx
      .select()
      .from(botErasedUsers)
      .where(eq(botErasedUsers.userKey, erasedUserKey(spent.userId)));
    if (erased) return null;
    const replaced = await tx
      .delete(botLinks)
      .where(or(eq(botLinks.userId, spent.userId), eq(botLinks.chatId, input.chatId)))
      .returning({ userId: botLinks.userId, chatId: botLinks.chatId });
    for (const old of replaced) {
      // The same user re-linking the same chat is no change worth announcing.
      if (old.userId === spent.userId && old.chatId === input.chatId) continue;
      await outbox.enqueue(tx, "telegram.unlinked", { userId: old.userId, chatId: old.chatId, reason: "relinked" }, ctx.requestId);
    }
    const [link] = await tx
      .insert(botLinks)
      .values({ userId: spent.userId, chatId: input.chatId, username: input.username, languageCode: input.languageCode, role: spent.role, createdAt: clock() })
      .returning();
    await outbox.enqueue(
      tx,
      "telegram.linked",
      { userId: spent.userId, chatId: input.chatId, username: input.username, languageCode: input.languageCode },
      ctx.requestId,
    );
    return link ?? null;
  });
}
