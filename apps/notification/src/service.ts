import { notificationOutbox } from "@lodge/db/schema";
import { Counter, connectToServices, defineService, Histogram, type ServiceBase, type StartOptions, startService } from "@lodge/kit";
import { sendChannels } from "./catalog/index";
import { createChannels, describeChannels } from "./channels/index";
import { notificationConfigFromEnv } from "./config";
import type { NotificationDeps } from "./deps";
import { type NotificationEnv, notificationEnv } from "./env";
import { consumers } from "./events/index";
import { withWebhooks } from "./events/webhooks";
import { createMailer, type Mailer } from "./helpers/mailer";
import { createWebhooks } from "./helpers/webhooks";
import { batchedSends } from "./helpers/write-notifications";
import { createDeliveryQueue } from "./jobs/delivery";
import { createDigestQueue } from "./jobs/digest";
import { jobs } from "./jobs/index";
import { createTriggerQueue } from "./jobs/trigger";
import { batchedCreatedReads } from "./realtime/announce";
import { createRealtimeHub } from "./realtime/hub";
import { addressRoutes } from "./routes/addresses/index";
import { adminRoutes } from "./routes/admin/index";
import { exportRoutes } from "./routes/notifications/export";
import { notificationRoutes } from "./routes/notifications/index";
import { preferenceRoutes } from "./routes/preferences/index";
import { realtimeRoutes } from "./routes/realtime/index";
import { reminderRoutes } from "./routes/reminders/index";
import { sendRoutes } from "./routes/send/index";
import { oneClickBody, unsubscribeRoutes } from "./routes/unsubscribe/index";
import { webhookRoutes } from "./routes/webhooks/index";

/** What a test may start the service with beyond the kit's start options. */
type NotificationStartExtras = {
  /** Instead of the one SMTP_URL describes (a test's failing mailer). */
  mailer?: Mailer;
  /** Run the delivery workers (off in tests that drive deliveries by hand). */
  jobs?: boolean;
  /** What web push requests go out with (a test's, trusting its local push service's certificate). */
  fetch?: typeof fetch;
};

export type NotificationServiceOptions = StartOptions<NotificationEnv> & NotificationStartExtras;

export const notificationService = defineService<NotificationEnv, NotificationDeps, NotificationStartExtras>({
  name: "notification",
  env: notificationEnv,
  openApi: {
    prefix: "/notifications",
    title: "Lodge notifications",
    description: "The in-app inbox, its realtime WebSocket, and the delivery of notifications by email, web push, FCM and Telegram.",
  },
  outbox: notificationOutbox,
  tokens: "jwks",
  http: { rawBody: oneClickBody },
  build: async (base, options) => {
    const mailer = options.mailer ?? createMailer({ smtpUrl: options.env.SMTP_URL, from: options.env.MAIL_FROM, logger: base.logger });
    const config = notificationConfigFromEnv(options.env);
    const channels = createChannels({ config, mailer, fetch: options.fetch ?? fetch, clock: base.clock });
    base.logger.info(describeChannels(channels, mailer));
    return {
      realtime: createRealtimeHub({ ...base, prefix: base.redisPrefix, settings: config.realtime }),
      mailer,
      channels,
      users: connectToUsers(options.env, base),
      deliveryQueues: Object.fromEntries(
        sendChannels.map((channel) => [channel, createDeliveryQueue(base.jobsConnection, channel)]),
      ) as NotificationDeps["deliveryQueues"],
      digestQueue: createDigestQueue(base.jobsConnection),
      triggers: createTriggerQueue(base.jobsConnection),
      config,
      sends: new Counter({
        name: "notification_sends_total",
        help: "Deliveries by channel and outcome: sent, retry (an attempt failed and will be retried), failed (for good), skipped (no address)",
        labelNames: ["channel", "outcome"] as const,
        registers: [base.metrics.registry],
      }),
      deliveryLatency: new Histogram({
        name: "notification_delivery_latency_seconds",
        help: "From a notification's creation, or a held delivery's due time (quiet hours' end, the digest time), to its send, by channel",
        labelNames: ["channel"] as const,
        // Seconds for a live send, up to hours for one retried or waiting on a provider.
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600],
        registers: [base.metrics.registry],
      }),
      webhooks: createWebhooks(base, options.env),
      batchedSends: batchedSends({ channels, config }, base.db),
      createdNotifications: batchedCreatedReads(base.db),
    };
  },
  // Literal paths (/notifications/preferences, /notifications/realtime, ...) before /notifications/{id}.
  routes: (deps) => [
    // Before notificationRoutes: `export` is a literal segment where /notifications/{id} takes any.
    exportRoutes(deps),
    realtimeRoutes(deps),
    sendRoutes(deps),
    reminderRoutes(deps),
    preferenceRoutes(deps),
    unsubscribeRoutes(deps),
    addressRoutes(deps),
    adminRoutes(deps),
    webhookRoutes(deps),
    notificationRoutes(deps),
  ],
  websocket: (env) => ({
    maxPayloadLength: env.NOTIFICATION_WS_MAX_MESSAGE_BYTES,
    idleTimeout: env.NOTIFICATION_WS_IDLE_TIMEOUT_SECONDS,
    sendPings: true,
    // The hub closes a slow consumer (4408) past NOTIFICATION_WS_MAX_BUFFERED_BYTES; Bun's own cap, above it, backs it.
    backpressureLimit: 2 * env.NOTIFICATION_WS_MAX_BUFFERED_BYTES,
    closeOnBackpressureLimit: true,
    perMessageDeflate: false,
  }),
  consumers: withWebhooks(consumers),
  jobs,
  close: async (deps) => {
    deps.realtime.close();
    // The kit closes the queues of the jobs it ran; with the workers off, these are still open.
    const queues = [...Object.values(deps.deliveryQueues), deps.digestQueue, deps.triggers, deps.webhooks.deliveries, deps.webhooks.retention];
    await Promise.all(queues.map((queue) => queue.close()));
    deps.mailer.close();
  },
});

/** The user service, for settings this service's copy misses; none without a client secret (the boot log says so). */
function connectToUsers(env: NotificationEnv, base: ServiceBase) {
  if (!env.NOTIFICATION_CLIENT_SECRET) {
    base.logger.info("NOTIFICATION_CLIENT_SECRET is unset: users' notification settings come from the user service's events only");
    return null;
  }
  return connectToServices({
    urls: { auth: env.AUTH_URL, user: env.USER_URL },
    client: { id: env.NOTIFICATION_CLIENT_ID, secret: env.NOTIFICATION_CLIENT_SECRET },
    // A notification waits at most this long for settings; without them it goes with the defaults.
    timeoutMs: 2000,
    logger: base.logger,
    clock: base.clock,
  });
}

/** Builds every dependency once, starts the consumers and the email worker, and returns the app, its deps and a close(). */
export const startNotificationService = (options: NotificationServiceOptions) => startService(notificationService, options);
