import { randomBytes } from "node:crypto";
import { type Envelope, type EventType, eventTypes } from "@lodge/events";
import { createQueue, defaultJobOptions, type JobsConnection, type Queue } from "@lodge/jobs";
import { Counter, type ServiceBase } from "@lodge/kit";
import { Webhook } from "standardwebhooks";
import type { NotificationEnv } from "../env";

/** What a webhook may subscribe to: a catalog event type, or `*` for every one. */
export const webhookEventTypes = ["*", ...eventTypes] as const;

/**
 * Fields never sent to a webhook: the one-time tokens of verification and reset requests would let
 * whoever reads the receiver's logs take over the account. The events stay (with who, which address,
 * and until when) because "a reset was requested" is worth an audit trail; only the secret goes.
 */
export const withheldFields: Partial<Record<EventType, readonly string[]>> = {
  "auth.email_verification_requested": ["token"],
  "auth.password_reset_requested": ["token"],
};

/** The JSON body of an event's delivery (Standard Webhooks' `{ type, timestamp, data }`), its secrets withheld. */
export function webhookPayload(event: Envelope) {
  const withheld = withheldFields[event.type] ?? [];
  const data = Object.fromEntries(Object.entries(event.data).filter(([key]) => !withheld.includes(key)));
  return { type: event.type, timestamp: event.occurredAt, data };
}

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/**
 * The Standard Webhooks headers of one attempt; during a rotation window the signature header holds
 * two signatures (new secret first, then the old), space-separated as the spec allows.
 */
export function webhookHeaders(options: { id: string; at: Date; body: string; secrets: string[] }) {
  const signatures = options.secrets.map((secret) => new Webhook(secret).sign(options.id, options.at, options.body));
  return {
    "content-type": "application/json",
    "user-agent": "Lodge-Webhooks/1",
    "webhook-id": options.id,
    "webhook-timestamp": String(Math.floor(options.at.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

function webhookConfigFromEnv(env: NotificationEnv) {
  const hour = 3600_000;
  return {
    allowedHosts: env.WEBHOOK_ALLOWED_HOSTS.map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, "$1")),
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: env.WEBHOOK_RESPONSE_MAX_BYTES,
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    retryDelayMs: env.WEBHOOK_RETRY_DELAY_MS,
    disableAfterMs: env.WEBHOOK_DISABLE_AFTER_DAYS * 24 * hour,
    rotationMs: env.WEBHOOK_ROTATION_HOURS * hour,
    retentionMs: env.WEBHOOK_DELIVERY_RETENTION_DAYS * 24 * hour,
    concurrency: env.WEBHOOK_CONCURRENCY,
    maxEndpoints: env.WEBHOOK_MAX_ENDPOINTS,
  };
}

export type WebhookConfig = ReturnType<typeof webhookConfigFromEnv>;

/** BullMQ's exponential backoff: the wait after the `attempt`-th failed attempt of a job. */
export const retryDelayMs = (config: WebhookConfig, attempt: number) => config.retryDelayMs * 2 ** (attempt - 1);

export type WebhookJob = { deliveryId: string; requestId?: string };

/** The webhook part of the notification service's deps. */
export type Webhooks = {
  config: WebhookConfig;
  /** One job per delivery (its id is the delivery's), retried with exponential backoff. */
  deliveries: Queue<WebhookJob>;
  /** Runs the hourly deletion of old delivery rows. */
  retention: Queue;
  /** `notification_webhook_deliveries_total{outcome}`: sent, retry, failed (for good), skipped (endpoint disabled or gone). */
  outcomes: Counter<"outcome">;
};

export function createWebhooks(base: ServiceBase, env: NotificationEnv): Webhooks {
  const config = webhookConfigFromEnv(env);
  return {
    config,
    deliveries: createWebhookQueue(base.jobsConnection, config),
    retention: createQueue("notification-webhook-retention", base.jobsConnection),
    outcomes: new Counter({
      name: "notification_webhook_deliveries_total",
      help: "Webhook delivery attempts by outcome: sent, retry (failed, will be retried), failed (for good), skipped (endpoint disabled or gone)",
      labelNames: ["outcome"] as const,
      registers: [base.metrics.registry],
    }),
  };
}

function createWebhookQueue(connection: JobsConnection, config: WebhookConfig) {
  return createQueue<WebhookJob>("notification-webhook", connection, {
    defaultJobOptions: { ...defaultJobOptions, attempts: config.maxAttempts, backoff: { type: "exponential", delay: config.retryDelayMs } },
  });
}
