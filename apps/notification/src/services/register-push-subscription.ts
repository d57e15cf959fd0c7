import { pushSubscriptions } from "@lodge/db/schema";
import { ApiError, checkTarget, RefusedTarget } from "@lodge/kit";
import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { addressLimits, keepNewest } from "../helpers/address-limits";

/**
 * Stores a browser's push subscription for the user (the same endpoint again replaces its keys and
 * owner: a browser that signed in as someone else). The endpoint must not point at a private,
 * loopback or link-local address (it is where the server will send requests), unless its host is
 * in WEB_PUSH_ALLOWED_HOSTS. A user keeps their newest few subscriptions; older ones are dropped.
 */
export async function registerPushSubscription({ ctx, input }: { ctx: Ctx; input: { userId: string; endpoint: string; p256dh: string; auth: string } }) {
  const { db, clock, limiter, config } = ctx.deps;
  await limiter.hit(`notification:addresses:${input.userId}`, addressLimits.changesPerHour);
  await checkTarget(input.endpoint, { allowedHosts: config.webPushAllowedHosts }).catch((error: unknown) => {
    if (!(error instanceof RefusedTarget)) throw error;
    throw new ApiError({
      code: "VALIDATION_FAILED",
      message: `The endpoint is refused: ${error.message}`,
      details: [{ path: "endpoint", message: error.message }],
    });
  });
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(pushSubscriptions)
      .values({ userId: input.userId, endpoint: input.endpoint, p256dh: input.p256dh, auth: input.auth, createdAt: clock() })
      .onConflictDoUpdate({
        target: pushSubscriptions.endpoint,
        set: { userId: input.userId, p256dh: input.p256dh, auth: input.auth, createdAt: sql`excluded.created_at` },
      })
      .returning();
    await keepNewest(tx, pushSubscriptions, input.userId);
    return row as typeof pushSubscriptions.$inferSelect;
  });
}
