import { users } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { issueOneTimeToken } from "../helpers/one-time-tokens";

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
