import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { issueOneTimeToken, spendOneTimeToken } from "../helpers/one-time-tokens";

export async function requestEmailVerification({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db, limiter, config } = ctx.deps;
  await limiter.hit(`verify-email:${input.userId}`, config.limits.verificationPerUser);
  const [user] = await db.select().from(users).where(eq(users.id, input.userId)).limit(1);
  if (!user) throw new ApiError({ code: "UNAUTHORIZED", message: "Session is no longer valid" });
  if (user.emailVerifiedAt) throw new ApiError({ code: "CONFLICT", message: "Email is already verified" });
  await ctx.deps.outbox.transaction(async (tx) => {
    const { token, expiresAt } = await issueOneTimeToken({
      ctx,
      tx,
      input: { userId: user.id, email: user.email, purpose: "email_verification", ttlSeconds: config.emailVerificationTtlSeconds },
    });
    await ctx.deps.outbox.enqueue(
      tx,
      "auth.email_verification_requested",
      { userId: user.id, email: user.email, token, expiresAt: expiresAt.toISOString() },
      ctx.requestId,
    );
  });
}

/** Confirms the address the token was sent to (if the user has since changed it, the token no longer applies). */
export async function verifyEmail({ ctx, input }: { ctx: Ctx; input: { token: string } }) {
  await ctx.deps.outbox.transaction(async (tx) => {
    const spent = await spendOneTimeToken({ ctx, tx, input: { token: input.token, purpose: "email_verification" } });
    const now = ctx.deps.clock();
    const [user] = await tx
      .update(users)
      .set({ emailVerifiedAt: now, updatedAt: now })
      .where(and(eq(users.id, spent.userId), eq(users.email, spent.email)))
      .returning();
    if (!user) throw new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "Invalid or expired token" });
    await recordAudit({ ctx, tx, entry: { action: "email.verified", userId: user.id } });
    await ctx.deps.outbox.enqueue(tx, "user.email_verified", { userId: user.id, email: user.email }, ctx.requestId);
  });
}
