import { deliveries, notifications } from "@lodge/db/schema";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Ctx } from "../deps";

type Input = { status: "pending" | "held" | "sent" | "failed" | "skipped"; channel?: string; cursor?: string; limit: number };

/** Deliveries in a status (for admins: the failed ones to look at and retry), newest first, with their notification's user and type. */
export async function listDeliveries({ ctx, input }: { ctx: Ctx; input: Input }) {
  const conditions: SQL[] = [eq(deliveries.status, input.status)];
  if (input.channel) conditions.push(eq(deliveries.channel, input.channel));
  if (input.cursor) conditions.push(lt(deliveries.id, input.cursor));
  const rows = await ctx.deps.db
    .select({ delivery: deliveries, userId: notifications.userId, type: notifications.type })
    .from(deliveries)
    .innerJoin(notifications, eq(notifications.id, deliveries.notificationId))
    .where(and(...conditions))
    .orderBy(desc(deliveries.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page[page.length - 1]?.delivery.id ?? null) : null };
}
