import { sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { hashPassword, verifyPassword } from "../helpers/secrets";
import { revokeSessions } from "../helpers/sessions";

/** Needs the current password (which renews this session's `auth_time`); every other session of the user is revoked. */
export async function changePassword({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string; currentPassword: string; newPassword: string } }) {
  await ctx.deps.limiter.hit(`password-change:${input.userId}`, ctx.deps.config.limits.loginPerIpEmail);
  const [user] = await ctx.deps.db.select().from(users).where(eq(users.id, input.userId)).limit(1);
  if (!user) throw new ApiError({ code: "UNAUTHORIZED", message: "Session is no longer valid" });
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw new ApiError({ code: "FORBIDDEN", message: "Current password is wrong" });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await ctx.deps.outbox.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: ctx.deps.clock() }).where(eq(users.id, user.id));
    await tx.update(sessions).set({ authTime: ctx.deps.clock() }).where(eq(sessions.id, input.sessionId));
    await recordAudit({ ctx, tx, entry: { action: "password.changed", userId: user.id } });
    await ctx.deps.outbox.enqueue(tx, "auth.password_changed", { userId: user.id, via: "change" }, ctx.requestId);
    await revokeSessions({ ctx, tx, input: { userId: user.id, except: input.sessionId, reason: "password_changed" } });
  });
}
