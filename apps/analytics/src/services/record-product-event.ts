import { analyticsErasedUsers, erasedUserKey } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { insertEventRows } from "../helpers/event-row";
import { monthStart } from "../helpers/partitions";
import { type ProductEvent, productEventRow } from "../helpers/product-event";

/**
 * Stores a product event at once (one row: no need for the ingest stream's batching), once: the
 * same id and time stored again is skipped. An event outside the months partitions exist for (one
 * that waited in the bus for over a month, or stamped far ahead) is not stored, nor one about a
 * user whose data was erased (a late or redelivered event). Returns whether it was new.
 */
export async function recordProductEvent({ ctx, input }: { ctx: Ctx; input: ProductEvent }): Promise<boolean> {
  const now = ctx.deps.clock();
  if (input.at < monthStart(now, -1) || input.at >= monthStart(now, ctx.deps.env.ANALYTICS_PARTITIONS_AHEAD + 1)) {
    ctx.logger.warn({ name: input.name, at: input.at.toISOString() }, "product event outside the stored months: not recorded");
    return false;
  }
  const [erased] = await ctx.deps.db
    .select({ at: analyticsErasedUsers.erasedAt })
    .from(analyticsErasedUsers)
    .where(eq(analyticsErasedUsers.userKey, erasedUserKey(input.userId)))
    .limit(1);
  if (erased) {
    ctx.logger.info({ name: input.name }, "product event of an erased user: not recorded");
    return false;
  }
  return (await insertEventRows(ctx.deps.db, [productEventRow(input)])) > 0;
}
