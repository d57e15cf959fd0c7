import { admittedChats, botInvites } from "@lodge/db/schema";
import { secretTokenHash } from "@lodge/kit";
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Ctx } from "../deps";

type AdmitChatInput = { code: string; chatId: number; telegramUserId: number; username?: string };

/**
 * `/start <invite code>` in an invite-only bot: counts one use of the code (atomically, so a code
 * for n uses admits n chats however many race) and records which chat it admitted, by whom (the
 * audit, `GET /bot/invites/{id}/uses`). A chat admitted before, or meanwhile by a concurrent
 * update, spends nothing. False when the code is unknown, revoked, expired or used up.
 */
export async function admitChat({ ctx, input }: { ctx: Ctx; input: AdmitChatInput }) {
  const { db, clock } = ctx.deps;
  return db.transaction(async (tx) => {
    const admittedBefore = async () =>
      (await tx.select({ chatId: admittedChats.chatId }).from(admittedChats).where(eq(admittedChats.chatId, input.chatId))).length > 0;
    if (await admittedBefore()) return true;
    // Concurrent uses of one code queue on its row lock, and each re-checks `uses < max_uses` on the row as the last one left it.
    const [invite] = await tx
      .update(botInvites)
      .set({ uses: sql`${botInvites.uses} + 1` })
      .where(
        and(
          eq(botInvites.codeHash, secretTokenHash(input.code)),
          isNull(botInvites.revokedAt),
          or(isNull(botInvites.expiresAt), gt(botInvites.expiresAt, clock())),
          lt(botInvites.uses, botInvites.maxUses),
        ),
      )
      .returning({ id: botInvites.id });
    // A code spent meanwhile may have been spent on this very chat by a concurrent update.
    if (!invite) return admittedBefore();
    const [admitted] = await tx
      .insert(admittedChats)
      .values({ chatId: input.chatId, inviteId: invite.id, telegramUserId: input.telegramUserId, username: input.username, createdAt: clock() })
      .onConflictDoNothing()
      .returning({ chatId: admittedChats.chatId });
    if (!admitted) {
      // Another update admitted this chat meanwhile: give the use back.
      await tx
        .update(botInvites)
        .set({ uses: sql`${botInvites.uses} - 1` })
        .where(eq(botInvites.id, invite.id));
      return true;
    }
    ctx.logger.info({ inviteId: invite.id, chatId: input.chatId, telegramUserId: input.telegramUserId }, "chat admitted with an invite code");
    return true;
  });
}
