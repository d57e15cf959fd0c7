import { pushSubscriptions } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { addressLimits } from "../helpers/address-limits";

/** Removes one of the user's push subscriptions by its endpoint (the browser unsubscribed); another user's is a 404. */
export async function removePushSubscription({ ctx, input }: { ctx: Ctx; input: { userId: string; endpoint: string } }) {
  await ctx.deps.limiter.hit(`notification:addresses:${input.userId}`, addressLimits.changesPerHour);
  const removed = await ctx.deps.db
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.userId, input.userId), eq(pushSubscriptions.endpoint, input.endpoint)))
    .returning({ id: pushSubscriptions.id });
  if (removed.length === 0) throw new ApiError({ code: "NOT_FOUND", message: "No such push subscription" });
}
