import { users } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { trustLoginNetwork } from "../helpers/login-limits";
import { spendOneTimeToken } from "../helpers/one-time-tokens";
import { hashPassword } from "../helpers/secrets";
import { revokeSessions } from "../helpers/sessions";

/**
 * Sets the new password and revokes every session of the user. Whoever holds the emailed token is
 * the owner, so their network now skips the account's login wait: strangers cannot keep them out.
 */
export async function resetPassword({ ctx, input }: { ctx: Ctx; input: { token: string; newPassword: string } }) {
  const passwordHash = await hashPassword(input.newPassword);
  const email = await ctx.deps.outbox.transaction(async (tx) => {
    const spent = await spendOneTimeToken({ ctx, tx, input: { token: input.token, purpose: "password_reset" } });
    const [user] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: ctx.deps.clock() })
      .where(eq(users.id, spent.userId))
      .returning({ email: users.email });
    await recordAudit({ ctx, tx, entry: { action: "password.reset", userId: spent.userId } });
    await ctx.deps.outbox.enqueue(tx, "auth.password_changed", { userId: spent.userId, via: "reset" }, ctx.requestId);
    await revokeSessions({ ctx, tx, input: { userId: spent.userId, reason: "password_reset" } });
    return user?.email;
  });
  // The password is reset whatever happens next: without Redis the owner only misses this convenience.
  if (email)
    await trustLoginNetwork({ ctx, input: { email, client: ctx.deps.limiter.client(ctx.ip) } }).catch((error) =>
      ctx.logger.warn({ err: error }, "could not trust the network of a password reset"),
    );
}
