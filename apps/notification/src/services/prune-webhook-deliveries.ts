import { webhookDeliveries } from "@lodge/db/schema";
import { lt } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Deletes delivery rows older than the retention (their bodies may carry user data); returns how many. */
export async function pruneWebhookDeliveries({ ctx }: { ctx: Ctx }) {
  const before = new Date(ctx.deps.clock().getTime() - ctx.deps.webhooks.config.retentionMs);
  const deleted = await ctx.deps.db.delete(webhookDeliveries).where(lt(webhookDeliveries.createdAt, before)).returning({ id: webhookDeliveries.id });
  return deleted.length;
}
