import { fcmDevices } from "@lodge/db/schema";
import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { addressLimits, keepNewest } from "../helpers/address-limits";

/** Stores a phone's FCM registration token for the user (the same token again moves to this user and platform); the newest few are kept. */
export async function registerDevice({ ctx, input }: { ctx: Ctx; input: { userId: string; token: string; platform: "android" | "ios" | "web" } }) {
  const { db, clock, limiter } = ctx.deps;
  await limiter.hit(`notification:addresses:${input.userId}`, addressLimits.changesPerHour);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(fcmDevices)
      .values({ userId: input.userId, token: input.token, platform: input.platform, createdAt: clock() })
      .onConflictDoUpdate({ target: fcmDevices.token, set: { userId: input.userId, platform: input.platform, createdAt: sql`excluded.created_at` } })
      .returning();
    await keepNewest(tx, fcmDevices, input.userId);
    return row as typeof fcmDevices.$inferSelect;
  });
}
