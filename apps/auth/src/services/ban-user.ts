import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { adminUser } from "../helpers/public-user";
import { revokeSessions } from "../helpers/sessions";

/**
 * Suspends an account: every session is revoked at once (reason `banned`, so access tokens die at
 * every service), and login and refresh are refused until an admin lifts the ban. Banning a banned
 * account only updates the reason.
 */
export async function banUser({ ctx, input }: { ctx: Ctx; input: { actorId: string; userId: string; reason?: string } }) {
  if (input.actorId === input.userId) throw new ApiError({ code: "FORBIDDEN", message: "Admins cannot ban themselves" });
  return ctx.deps.outbox.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId)).for("update");
    if (!user) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
    const now = ctx.deps.clock();
    const [updated] = await tx
      .update(users)
      .set({ bannedAt: user.bannedAt ?? now, bannedReason: input.reason ?? null, updatedAt: now })
      .where(eq(users.id, user.id))
      .returning();
    if (!user.bannedAt) {
      await recordAudit({ ctx, tx, entry: { action: "user.banned", userId: user.id, actorId: input.actorId, details: { reason: input.reason ?? null } } });
      await ctx.deps.outbox.enqueue(tx, "auth.user_banned", { userId: user.id, banned: true }, ctx.requestId);
    }
    await revokeSessions({ ctx, tx, input: { userId: user.id, reason: "banned", actorId: input.actorId } });
    return adminUser(updated ?? user);
  });
}
