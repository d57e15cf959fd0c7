import type { fcmDevices, pushSubscriptions } from "@lodge/db/schema";
import { and, desc, eq, notInArray } from "drizzle-orm";
import type { Tx } from "../channels/types";

/** How many push subscriptions and FCM devices a user keeps (the newest), and how often they may register or remove one. */
export const addressLimits = {
  perUser: 10,
  changesPerHour: { max: 60, windowSeconds: 3600 },
};

/** Drops a user's oldest subscriptions or devices beyond `addressLimits.perUser` (browsers and apps re-register freely). */
export async function keepNewest(tx: Tx, table: typeof pushSubscriptions | typeof fcmDevices, userId: string) {
  const kept = await tx
    .select({ id: table.id })
    .from(table)
    .where(eq(table.userId, userId))
    .orderBy(desc(table.createdAt), desc(table.id))
    .limit(addressLimits.perUser);
  await tx.delete(table).where(
    and(
      eq(table.userId, userId),
      notInArray(
        table.id,
        kept.map((entry) => entry.id),
      ),
    ),
  );
}
