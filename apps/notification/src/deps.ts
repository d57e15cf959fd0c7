import type { Queue } from "@lodge/jobs";
import type { Counter, Ctx as KitCtx, ServiceBase, WithOutbox } from "@lodge/kit";
import type { NotificationConfig } from "./config";
import type { Mailer } from "./helpers/mailer";

/** What the kit builds for every service, plus the notification service's own (see service.ts); built once at boot. */
export type NotificationDeps = ServiceBase &
  WithOutbox & {
    /** SMTP, or the log when SMTP_URL is unset. */
    mailer: Mailer;
    /** One job per email delivery (its id is the delivery's, so a delivery is queued once). */
    emails: Queue<EmailJob>;
    /** Scheduled sends and reminder firings, as delayed jobs (their rows in Postgres are the truth), and the sweeps. */
    triggers: Queue<TriggerJob>;
    config: NotificationConfig;
    /** `notification_sends_total{channel,outcome}`: sent, retry (an attempt failed), failed (for good), skipped. */
    sends: Counter<"channel" | "outcome">;
  };

export type EmailJob = { deliveryId: string; requestId?: string };

/** A scheduled send or a reminder's occurrence coming due; the sweeps carry no data. */
export type TriggerJob = { scheduledSendId: string } | { reminderId: string; occurrence: string } | Record<string, never>;

export type Ctx = KitCtx<NotificationDeps>;
