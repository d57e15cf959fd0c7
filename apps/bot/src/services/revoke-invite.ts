import { botInvites } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Revokes an invite code: it admits no more chats (those it admitted stay). Revoking again changes nothing; an unknown id is 404. */
export async function revokeInvite({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const { db, clock } = ctx.deps;
  const [revoked] = await db
    .update(botInvites)
    .set({ revokedAt: clock() })
    .where(and(eq(botInvites.id, input.id), isNull(botInvites.revokedAt)))
    .returning({ id: botInvites.id });
  if (revoked) {
    ctx.logger.info({ inviteId: input.id }, "invite code revoked");
    return;
  }
  const [invite] = await db.select({ id: botInvites.id }).from(botInvites).where(eq(botInvites.id, input.id));
  if (!invite) throw new ApiError({ code: "NOT_FOUND", message: "No such invite" });
}
