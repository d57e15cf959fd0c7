import type { Ctx } from "../deps";
import { recordAudit } from "./audit";
import { revokeSessions } from "./sessions";

/**
 * A refresh token spent before the grace window was presented again (at refresh or at logout):
 * someone holds a copy, so the whole session is revoked and the reuse audited.
 */
export async function revokeReusedSession({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  const revoked = await ctx.deps.outbox.transaction(async (tx) => {
    const sessionIds = await revokeSessions({ ctx, tx, input: { userId: input.userId, only: [input.sessionId], reason: "refresh_reuse" } });
    if (sessionIds.length === 0) return false;
    await recordAudit({ ctx, tx, entry: { action: "refresh.reused", userId: input.userId, details: { sessionId: input.sessionId } } });
    return true;
  });
  if (revoked) ctx.logger.warn("refresh token reuse detected, session revoked");
}
