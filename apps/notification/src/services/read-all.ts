import { notifications } from "@lodge/db/schema";
import { and, eq, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Marks every unread notification of the user read; returns how many were. */
export async function readAll({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const updated = await ctx.deps.db
    .update(notifications)
    .set({ readAt: ctx.deps.clock() })
    .where(and(eq(notifications.userId, input.userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return updated.length;
}
