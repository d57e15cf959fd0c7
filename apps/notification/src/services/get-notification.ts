import { deliveries, notifications } from "@lodge/db/schema";
import { and, asc, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { notFound } from "../helpers/views";

/** One of the user's notifications with its deliveries; anyone else's is a 404, as a missing one is. */
export async function getNotification({ ctx, input }: { ctx: Ctx; input: { userId: string; id: string } }) {
  const [row] = await ctx.deps.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.id, input.id), eq(notifications.userId, input.userId)));
  if (!row) throw notFound();
  const channels = await ctx.deps.db.select().from(deliveries).where(eq(deliveries.notificationId, row.id)).orderBy(asc(deliveries.channel));
  return { row, deliveries: channels };
}
