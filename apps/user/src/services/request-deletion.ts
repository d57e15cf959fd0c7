import { deletions } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { erasingServices } from "@lodge/services";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Starts the account's deletion once the user has proven it is them: their password (checked by
 * auth) or a sign-in with their password in the last 5 minutes (the token's `auth_time`, which a
 * refresh keeps: a token's own age says nothing, since every refresh signs a fresh one). Records the deletion
 * with every erasing service pending and publishes `user.deletion_requested` in one transaction.
 * From then on the account is gone for this service (its other /me routes answer 401; asking again
 * answers with the deletion under way), and each service erases its data and acknowledges with
 * `user.data_erased`.
 */
export async function requestDeletion({ ctx, input }: { ctx: Ctx; input: { userId: string; password?: string; authTime?: number } }) {
  const [existing] = await ctx.deps.db.select().from(deletions).where(eq(deletions.userId, input.userId)).limit(1);
  if (existing) return describe(existing);
  const now = ctx.deps.clock();
  if (input.password !== undefined) {
    if (!(await passwordMatches({ ctx, input: { userId: input.userId, password: input.password } }))) {
      throw new ApiError({ code: "FORBIDDEN", message: "The password is wrong" });
    }
  } else {
    const ageSeconds = input.authTime === undefined ? Number.POSITIVE_INFINITY : now.getTime() / 1000 - input.authTime;
    if (ageSeconds > ctx.deps.config.reauthWindowSeconds) {
      throw new ApiError({
        code: "FORBIDDEN",
        message: "Confirm with your password, or sign in again and delete within 5 minutes",
        details: { reason: "reauthentication_required" },
      });
    }
  }
  return ctx.deps.outbox.transaction(async (tx) => {
    const [created] = await tx
      .insert(deletions)
      .values({ userId: input.userId, requestedAt: now, pending: [...erasingServices] })
      .onConflictDoNothing({ target: deletions.userId })
      .returning();
    if (created) {
      await ctx.deps.outbox.enqueue(tx, "user.deletion_requested", { userId: input.userId, requestedAt: now.toISOString() }, ctx.requestId);
    }
    // Lost a race with a concurrent request for the same account: answer with the one that won.
    const [row] = created ? [created] : await tx.select().from(deletions).where(eq(deletions.userId, input.userId));
    return describe(row ?? { requestedAt: now, pending: [] });
  });
}

function describe(row: { requestedAt: Date; pending: string[] }) {
  return { requestedAt: row.requestedAt.toISOString(), pending: row.pending };
}

/** Auth checks the password (POST /auth/users/:id/password/verify with our `auth:verify_password` token). */
async function passwordMatches({ ctx, input }: { ctx: Ctx; input: { userId: string; password: string } }): Promise<boolean> {
  const reply = await ctx.deps.remote.call("auth", `/auth/users/${input.userId}/password/verify`, {
    method: "POST",
    body: { password: input.password },
    requestId: ctx.requestId,
  });
  if (reply.status === 200) return (reply.json as { valid?: boolean }).valid === true;
  if (reply.status === 429) {
    throw new ApiError({ code: "RATE_LIMITED", message: "Too many attempts, try again later", retryAfter: Number(reply.headers.get("retry-after")) || 60 });
  }
  if (reply.status === 404) throw new ApiError({ code: "UNAUTHORIZED", message: "Account deleted" });
  ctx.logger.error({ status: reply.status }, "auth refused the password check");
  throw ctx.deps.remote.unavailable("auth");
}
