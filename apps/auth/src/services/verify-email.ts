import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { spendOneTimeToken } from "../helpers/one-time-tokens";

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
