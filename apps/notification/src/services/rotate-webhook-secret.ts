import { webhookEndpoints } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { newWebhookSecret } from "../helpers/webhooks";

/**
 * Gives an endpoint a new secret; the current one keeps signing beside it for the rotation window
 * (WEBHOOK_ROTATION_HOURS), so the receiver can switch without missing a delivery.
 */
export async function rotateWebhookSecret({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const { db, clock, webhooks } = ctx.deps;
  const now = clock();
  const secret = newWebhookSecret();
  const [endpoint] = await db
    .update(webhookEndpoints)
    .set({
      secret,
      previousSecret: sql`${webhookEndpoints.secret}`,
      previousSecretExpiresAt: new Date(now.getTime() + webhooks.config.rotationMs),
      updatedAt: now,
    })
    .where(eq(webhookEndpoints.id, input.id))
    .returning();
  if (!endpoint) throw new ApiError({ code: "NOT_FOUND", message: "no such webhook endpoint" });
  ctx.logger.info({ webhookId: endpoint.id }, "webhook secret rotated");
  return endpoint;
}
