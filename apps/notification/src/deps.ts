import type { Queue } from "@lodge/jobs";
import type { Counter, Histogram, Ctx as KitCtx, RemoteServices, ServiceBase, WithOutbox } from "@lodge/kit";
import type { SendChannel } from "./catalog/index";
import type { Channels } from "./channels/index";
import type { NotificationConfig } from "./config";
import type { Mailer } from "./helpers/mailer";
import type { Webhooks } from "./helpers/webhooks";
import type { NotificationSend, SendOutcome } from "./helpers/write-notifications";
import type { batchedCreatedReads } from "./realtime/announce";
import type { RealtimeHub } from "./realtime/hub";

/** What the kit builds for every service, plus the notification service's own (see service.ts); built once at boot. */
export type NotificationDeps = ServiceBase &
  WithOutbox & {
    /** SMTP, or the log when SMTP_URL is unset. */
    mailer: Mailer;
    /** The user service with this service's client token (null without NOTIFICATION_CLIENT_SECRET). */
    users: RemoteServices<"user"> | null;
    /** How each channel finds addresses, sends and classifies failures (channels/). */
    channels: Channels;
    /** A queue per channel, one job per delivery (its id is the delivery's, so a delivery is queued once). */
    deliveryQueues: Record<SendChannel, Queue<DeliveryJob>>;
    /** One job per digest (its id is the digest's). */
    digestQueue: Queue<DigestJob>;
    /** Scheduled sends and reminder firings, as delayed jobs (their rows in Postgres are the truth), and the sweeps. */
    triggers: Queue<TriggerJob>;
    config: NotificationConfig;
    /** `notification_sends_total{channel,outcome}`: sent, retry (an attempt failed), failed (for good), skipped. */
    sends: Counter<"channel" | "outcome">;
    /** From a notification's creation (or a held delivery's due time) to its send, by channel (`email_digest` for a digest). */
    deliveryLatency: Histogram<"channel">;
    /** Outbound webhooks: their settings, delivery and retention queues, and outcome counter. */
    webhooks: Webhooks;
    /** The realtime sockets open on this instance and their fan-out across instances. */
    realtime: RealtimeHub;
    /** Sends made outside a transaction, written with concurrent requests' in one statement (helpers/write-notifications.ts). */
    batchedSends: (send: NotificationSend) => Promise<SendOutcome>;
    /** Notifications just made and their owners' unread counts, read with concurrent announcements' (realtime/announce.ts). */
    createdNotifications: ReturnType<typeof batchedCreatedReads>;
  };

export type DeliveryJob = { deliveryId: string; requestId?: string };
export type DigestJob = { digestId: string; requestId?: string };

/** A scheduled send or a reminder's occurrence coming due; the sweeps carry no data. */
export type TriggerJob = { scheduledSendId: string } | { reminderId: string; occurrence: string } | Record<string, never>;

export type Ctx = KitCtx<NotificationDeps>;
