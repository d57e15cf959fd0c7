import { webhookEndpoints } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** One endpoint, or 404. */
export async function getWebhook({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const [endpoint] = await ctx.deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, input.id));
  if (!endpoint) throw new ApiError({ code: "NOT_FOUND", message: "no such webhook endpoint" });
  return endpoint;
}
