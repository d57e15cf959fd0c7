import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { issueOneTimeToken } from "../helpers/one-time-tokens";

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
