import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { adminUser } from "../helpers/public-user";
import { revokeSessions } from "../helpers/sessions";

/**
 * An admin sets another account's role (audited with the actor; publishes `auth.role_changed`).
 * A promotion reaches the user's tokens at their next refresh; a demotion revokes every session
 * at once, since the access tokens already out still claim the admin role.
 */
export async function changeRole({ ctx, input }: { ctx: Ctx; input: { actorId: string; userId: string; role: "user" | "admin" } }) {
  if (input.actorId === input.userId) throw new ApiError({ code: "FORBIDDEN", message: "Admins cannot change their own role" });
  return ctx.deps.outbox.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId)).for("update");
    if (!user) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
    if (user.role === input.role) return adminUser(user);
    const [updated] = await tx.update(users).set({ role: input.role, updatedAt: ctx.deps.clock() }).where(eq(users.id, user.id)).returning();
    await recordAudit({ ctx, tx, entry: { action: "role.changed", userId: user.id, actorId: input.actorId, details: { from: user.role, to: input.role } } });
    await ctx.deps.outbox.enqueue(tx, "auth.role_changed", { userId: user.id, role: input.role }, ctx.requestId);
    if (input.role === "user") await revokeSessions({ ctx, tx, input: { userId: user.id, reason: "revoked", actorId: input.actorId } });
    return adminUser(updated ?? user);
  });
}
