import { webhookDeliveries } from "@lodge/db/schema";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Ctx } from "../deps";
import { getWebhook } from "./get-webhook";

type Input = { id: string; cursor?: string; limit: number; status?: "pending" | "sent" | "failed" };

/** An endpoint's delivery log, newest first, `limit` at a time (404 for an unknown endpoint). */
export async function listWebhookDeliveries({ ctx, input }: { ctx: Ctx; input: Input }) {
  await getWebhook({ ctx, input: { id: input.id } });
  const conditions: SQL[] = [eq(webhookDeliveries.endpointId, input.id)];
  if (input.cursor) conditions.push(lt(webhookDeliveries.id, input.cursor));
  if (input.status) conditions.push(eq(webhookDeliveries.status, input.status));
  const rows = await ctx.deps.db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}
