import { notifications } from "@lodge/db/schema";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { notFound } from "../helpers/views";
import { announceUpdated } from "../realtime/announce";

/** Deletes one of the user's notifications and its deliveries (a pending email is then not sent). */
export async function deleteNotification({ ctx, input }: { ctx: Ctx; input: { userId: string; id: string } }) {
  const removed = await ctx.deps.db
    .delete(notifications)
    .where(and(eq(notifications.id, input.id), eq(notifications.userId, input.userId)))
    .returning({ id: notifications.id });
  if (removed.length === 0) throw notFound();
  await announceUpdated(ctx, input.userId, { ids: [input.id], deleted: true });
}
