import { webhookEndpoints } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { count } from "drizzle-orm";
import type { Ctx } from "../deps";
import { newWebhookSecret } from "../helpers/webhooks";
import { checkWebhookUrl } from "./check-webhook-url";

type Input = { url: string; eventTypes: string[]; description: string };

/** Registers an endpoint with a new signing secret (returned with it, and never again). */
export async function createWebhook({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { db, webhooks, clock } = ctx.deps;
  const url = await checkWebhookUrl({ ctx, input });
  const [existing] = await db.select({ count: count() }).from(webhookEndpoints);
  if ((existing?.count ?? 0) >= webhooks.config.maxEndpoints)
    throw new ApiError({ code: "CONFLICT", message: `at most ${webhooks.config.maxEndpoints} webhook endpoints can be registered` });
  const now = clock();
  const [endpoint] = await db
    .insert(webhookEndpoints)
    .values({ ...input, url, eventTypes: [...new Set(input.eventTypes)], secret: newWebhookSecret(), createdAt: now, updatedAt: now })
    .returning();
  if (!endpoint) throw new Error("insert returned no row");
  ctx.logger.info({ webhookId: endpoint.id, eventTypes: endpoint.eventTypes }, "webhook endpoint registered");
  return endpoint;
}
