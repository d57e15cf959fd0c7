import { webhookEndpoints } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { checkWebhookUrl } from "./check-webhook-url";
import { getWebhook } from "./get-webhook";

type Input = { id: string; url?: string; eventTypes?: string[]; description?: string; enabled?: boolean };

/** Changes an endpoint; enabling it again also forgets its failure streak (and why it was disabled). */
export async function updateWebhook({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { id, eventTypes, description, enabled } = input;
  await getWebhook({ ctx, input: { id } });
  const url = input.url === undefined ? undefined : await checkWebhookUrl({ ctx, input: { url: input.url } });
  const [endpoint] = await ctx.deps.db
    .update(webhookEndpoints)
    .set({
      url,
      description,
      eventTypes: eventTypes && [...new Set(eventTypes)],
      enabled,
      ...(enabled === undefined ? {} : { disabledReason: null, failingSince: null }),
      updatedAt: ctx.deps.clock(),
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  // Deleted meanwhile: as if it never was.
  return endpoint ?? getWebhook({ ctx, input: { id } });
}
