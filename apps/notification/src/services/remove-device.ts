import { fcmDevices } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { addressLimits } from "../helpers/address-limits";

/** Removes one of the user's FCM devices by its token (signed out of the app); another user's is a 404. */
export async function removeDevice({ ctx, input }: { ctx: Ctx; input: { userId: string; token: string } }) {
  await ctx.deps.limiter.hit(`notification:addresses:${input.userId}`, addressLimits.changesPerHour);
  const removed = await ctx.deps.db
    .delete(fcmDevices)
    .where(and(eq(fcmDevices.userId, input.userId), eq(fcmDevices.token, input.token)))
    .returning({ id: fcmDevices.id });
  if (removed.length === 0) throw new ApiError({ code: "NOT_FOUND", message: "No such device" });
}
