import { admittedChats, botInvites } from "@lodge/db/schema";
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { tokenHash } from "../helpers/secret-token";

type AdmitChatInput = { code: string; chatId: number; telegramUserId: number; username?: string };

/**
 * `/start <invite code>` in an invite-only bot: counts one use of the code (atomically, so a code
 * for n uses admits n chats however many race) and records which chat it admitted, by whom.
 * A chat admitted before spends nothing. False when the code is unknown, revoked, expired or used up.
 */
export async function admitChat({ ctx, input }: { ctx: Ctx; input: AdmitChatInput }) {
  const { db, clock } = ctx.deps;
  return db.transaction(async (tx) => {
    const [already] = await tx.select({ chatId: admittedChats.chatId }).from(admittedChats).where(eq(admittedChats.chatId, input.chatId));
    if (already) return true;
    const [invite] = await tx
      .update(botInvites)
      .set({ uses: sql`${botInvites.uses} + 1` })
      .where(
        and(
          eq(botInvites.codeHash, tokenHash(input.code)),
          isNull(botInvites.revokedAt),
          or(isNull(botInvites.expiresAt), gt(botInvites.expiresAt, clock())),
          lt(botInvites.uses, botInvites.maxUses),
        ),
      )
      .returning({ id: botInvites.id });
    if (!invite) return false;
    await tx
      .insert(admittedChats)
      .values({ chatId: input.chatId, inviteId: invite.id, telegramUserId: input.telegramUserId, username: input.username, createdAt: clock() })
      .onConflictDoNothing();
    ctx.logger.info({ inviteId: invite.id, chatId: input.chatId, telegramUserId: input.telegramUserId }, "chat admitted with an invite code");
    return true;
  });
}

/** Whether an invite-only bot talks to the chat: it was admitted by a code (linked chats pass anyway). */
export async function isChatAdmitted({ ctx, input }: { ctx: Ctx; input: { chatId: number } }) {
  const [row] = await ctx.deps.db.select({ chatId: admittedChats.chatId }).from(admittedChats).where(eq(admittedChats.chatId, input.chatId));
  return row !== undefined;
}
