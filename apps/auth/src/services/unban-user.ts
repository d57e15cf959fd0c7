import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { adminUser } from "../helpers/public-user";

/** Lifts a suspension (a no-op for an account that is not banned); the user signs in again as usual. */
export async function unbanUser({ ctx, input }: { ctx: Ctx; input: { actorId: string; userId: string } }) {
  return ctx.deps.outbox.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId)).for("update");
    if (!user) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
    if (!user.bannedAt) return adminUser(user);
    const [updated] = await tx.update(users).set({ bannedAt: null, bannedReason: null, updatedAt: ctx.deps.clock() }).where(eq(users.id, user.id)).returning();
    await recordAudit({ ctx, tx, entry: { action: "user.unbanned", userId: user.id, actorId: input.actorId } });
    await ctx.deps.outbox.enqueue(tx, "auth.user_banned", { userId: user.id, banned: false }, ctx.requestId);
    return adminUser(updated ?? user);
  });
}
