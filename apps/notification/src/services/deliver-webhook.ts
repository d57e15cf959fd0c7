import { webhookDeliveries, webhookEndpoints } from "@lodge/db/schema";
import { checkTarget, postToTarget } from "@lodge/kit";
import { and, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { retryDelayMs, webhookHeaders } from "../helpers/webhooks";

type Endpoint = typeof webhookEndpoints.$inferSelect;
type Attempt = { ok: boolean; responseStatus: number | null; responseBody: string | null; durationMs: number | null; error: string | null };

/**
 * One attempt of a webhook delivery (a BullMQ job; `attempt` is the job's, counting from 1). A 2xx
 * marks it sent and ends the endpoint's failure streak; anything else (a 3xx too: redirects are not
 * followed) records the attempt and throws so BullMQ retries it after the backoff, until the last
 * attempt marks it failed. An endpoint failing for WEBHOOK_DISABLE_AFTER_DAYS without a success is
 * disabled. No row lock is held over the request: a job runs on one worker at a time, and the rare
 * rerun of a stalled job sends the same `webhook-id`, which receivers deduplicate on (as the spec asks).
 */
export async function deliverWebhook({ ctx, input }: { ctx: Ctx; input: { deliveryId: string; attempt: number; lastAttempt: boolean } }) {
  const { db, clock, webhooks } = ctx.deps;
  const { config, outcomes } = webhooks;
  const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, input.deliveryId));
  if (delivery?.status !== "pending") return { status: "already_done" as const };
  const [endpoint] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, delivery.endpointId));
  if (!endpoint?.enabled) {
    await db.update(webhookDeliveries).set({ status: "failed", error: "endpoint disabled", nextAttemptAt: null }).where(eq(webhookDeliveries.id, delivery.id));
    outcomes.inc({ outcome: "skipped" });
    return { status: "skipped" as const };
  }

  const now = clock();
  const body = JSON.stringify(delivery.payload);
  const attempt = await attemptDelivery(ctx, endpoint, { id: delivery.eventId, at: now, body });
  const pending = eq(webhookDeliveries.status, "pending");
  const { ok, ...outcome } = attempt;
  const recorded = { attempts: delivery.attempts + 1, lastAttemptAt: now, ...outcome };
  if (ok) {
    await db
      .update(webhookDeliveries)
      .set({ ...recorded, status: "sent", error: null, nextAttemptAt: null })
      .where(and(eq(webhookDeliveries.id, delivery.id), pending));
    await db
      .update(webhookEndpoints)
      .set({ failingSince: null })
      .where(and(eq(webhookEndpoints.id, endpoint.id), isNotNull(webhookEndpoints.failingSince)));
    outcomes.inc({ outcome: "sent" });
    return { status: "sent" as const };
  }

  const disabled = await recordFailure(ctx, endpoint, now);
  const final = input.lastAttempt || disabled;
  await db
    .update(webhookDeliveries)
    .set({ ...recorded, status: final ? "failed" : "pending", nextAttemptAt: final ? null : new Date(now.getTime() + retryDelayMs(config, input.attempt)) })
    .where(and(eq(webhookDeliveries.id, delivery.id), pending));
  outcomes.inc({ outcome: final ? "failed" : "retry" });
  if (final) return { status: "failed" as const };
  throw new Error(`webhook delivery failed: ${attempt.error}`);
}

/** Signs with the current secret and, within the rotation window, the previous one; posts to the checked address. */
async function attemptDelivery(ctx: Ctx, endpoint: Endpoint, message: { id: string; at: Date; body: string }): Promise<Attempt> {
  const { config } = ctx.deps.webhooks;
  const rotating = endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > message.at;
  const secrets = rotating && endpoint.previousSecret ? [endpoint.secret, endpoint.previousSecret] : [endpoint.secret];
  try {
    // Checked again now: the name may resolve elsewhere than at registration (or the allow-list changed).
    const target = await checkTarget(endpoint.url, { allowedHosts: config.allowedHosts });
    const response = await postToTarget(target, {
      headers: webhookHeaders({ ...message, secrets }),
      body: message.body,
      timeoutMs: config.timeoutMs,
      maxResponseBytes: config.maxResponseBytes,
    });
    const ok = response.status >= 200 && response.status < 300;
    const redirect = response.status >= 300 && response.status < 400;
    const error = ok ? null : redirect ? `redirect (${response.status}) not followed` : `HTTP ${response.status}`;
    return { ok, responseStatus: response.status, responseBody: storable(response.body), durationMs: response.durationMs, error };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, responseStatus: null, responseBody: null, durationMs: null, error: storable(reason.slice(0, 500)) };
  }
}

/** Text a receiver chose, as Postgres can store it (no NUL characters). */
const storable = (text: string) => text.replaceAll("\u0000", "");

/** Starts the endpoint's failure streak (if none) and disables it once the streak is old enough; returns whether it did. */
async function recordFailure(ctx: Ctx, endpoint: Endpoint, now: Date) {
  const { db, webhooks } = ctx.deps;
  const streakStart = sql`coalesce(${webhookEndpoints.failingSince}, ${now.toISOString()}::timestamptz)`;
  await db.update(webhookEndpoints).set({ failingSince: streakStart }).where(eq(webhookEndpoints.id, endpoint.id));
  const disableBefore = new Date(now.getTime() - webhooks.config.disableAfterMs);
  const disabled = await db
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: "failing", updatedAt: now })
    .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.enabled, true), lte(webhookEndpoints.failingSince, disableBefore)))
    .returning({ failingSince: webhookEndpoints.failingSince });
  if (disabled.length === 0) return false;
  ctx.logger.warn({ webhookId: endpoint.id, failingSince: disabled[0]?.failingSince }, "webhook endpoint disabled: failing for too long");
  return true;
}
