import { notifications } from "@lodge/db/schema";
import { and, eq, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";
import { announceUpdated } from "../realtime/announce";

/** Marks every unread notification of the user read; returns how many were. */
export async function readAll({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const readAt = ctx.deps.clock();
  const updated = await ctx.deps.db
    .update(notifications)
    .set({ readAt })
    .where(and(eq(notifications.userId, input.userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  if (updated.length > 0) await announceUpdated(ctx, input.userId, { ids: updated.map((row) => row.id), readAt: readAt.toISOString() });
  return updated.length;
}
