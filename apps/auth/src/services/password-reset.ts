import { users } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { trustLoginNetwork } from "../helpers/login-limits";
import { issueOneTimeToken, spendOneTimeToken } from "../helpers/one-time-tokens";
import { normalizeEmail } from "../helpers/public-user";
import { hashPassword, hashSecret } from "../helpers/secrets";
import { revokeSessions } from "../helpers/sessions";

/**
 * Always answers the same (202), whether or not the account exists, and in the same time: the HTTP
 * path only counts and queues the request; `sendPasswordReset` looks the account up off the request
 * path. Past the email's limit nothing more is queued, yet the answer is still 202, so others'
 * requests cannot get the owner's own refused; only the caller's own IP limit answers 429.
 */
export async function requestPasswordReset({ ctx, input }: { ctx: Ctx; input: { email: string } }) {
  const { limiter, config, passwordResets } = ctx.deps;
  const email = normalizeEmail(input.email);
  await limiter.hit(`forgot:ip:${limiter.client(ctx.ip)}`, config.limits.forgotPerIp);
  if (!(await limiter.allows(`forgot:email:${hashSecret(email)}`, config.limits.forgotPerEmail))) return;
  await passwordResets.add("request", { email, requestId: ctx.requestId });
}

/** Issues the reset token of a queued request, if the account exists (a retried job issues a newer one). */
export async function sendPasswordReset({ ctx, input }: { ctx: Ctx; input: { email: string } }) {
  const { config, db } = ctx.deps;
  const { email } = input;
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
  if (!user) return;
  await ctx.deps.outbox.transaction(async (tx) => {
    const { token, expiresAt } = await issueOneTimeToken({
      ctx,
      tx,
      input: { userId: user.id, email, purpose: "password_reset", ttlSeconds: config.passwordResetTtlSeconds },
    });
    await ctx.deps.outbox.enqueue(tx, "auth.password_reset_requested", { userId: user.id, email, token, expiresAt: expiresAt.toISOString() }, ctx.requestId);
  });
}

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
