import { webhookEndpoints } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Removes an endpoint and its delivery log; its queued attempts find it gone and are dropped. */
export async function deleteWebhook({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const deleted = await ctx.deps.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, input.id)).returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw new ApiError({ code: "NOT_FOUND", message: "no such webhook endpoint" });
  ctx.logger.info({ webhookId: input.id }, "webhook endpoint deleted");
}
