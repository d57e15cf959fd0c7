import { notificationOutbox } from "@lodge/db/schema";
import { Counter, connectToServices, defineService, type ServiceBase, type StartOptions, startService } from "@lodge/kit";
import { notificationConfigFromEnv } from "./config";
import type { NotificationDeps } from "./deps";
import { type NotificationEnv, notificationEnv } from "./env";
import { consumers } from "./events/index";
import { withWebhooks } from "./events/webhooks";
import { createMailer, type Mailer } from "./helpers/mailer";
import { createWebhooks } from "./helpers/webhooks";
import { createDigestQueue, createEmailQueue, jobs } from "./jobs/index";
import { notificationRoutes } from "./routes/notifications/index";
import { preferenceRoutes } from "./routes/preferences/index";
import { webhookRoutes } from "./routes/webhooks/index";

export type NotificationServiceOptions = StartOptions<NotificationEnv> & {
  /** Instead of the one SMTP_URL describes (a test's failing mailer). */
  mailer?: Mailer;
  /** Run the email worker (off in tests that drive deliveries by hand). */
  jobs?: boolean;
};

export const notificationService = defineService<NotificationEnv, NotificationDeps, { mailer?: Mailer; jobs?: boolean }>({
  name: "notification",
  env: notificationEnv,
  openApi: { prefix: "/notifications", title: "Lodge notifications", description: "The in-app inbox and email delivery of notifications." },
  outbox: notificationOutbox,
  tokens: "jwks",
  build: async (base, options) => ({
    mailer: options.mailer ?? createMailer({ smtpUrl: options.env.SMTP_URL, from: options.env.MAIL_FROM, logger: base.logger }),
    users: connectToUsers(options.env, base),
    emails: createEmailQueue(base.jobsConnection),
    digestQueue: createDigestQueue(base.jobsConnection),
    config: notificationConfigFromEnv(options.env),
    sends: new Counter({
      name: "notification_sends_total",
      help: "Deliveries by channel and outcome: sent, retry (an attempt failed and will be retried), failed (for good), skipped (no address)",
      labelNames: ["channel", "outcome"] as const,
      registers: [base.metrics.registry],
    }),
    webhooks: createWebhooks(base, options.env),
  }),
  // Literal paths (/notifications/preferences, /notifications/webhooks) before /notifications/{id}.
  routes: (deps) => [preferenceRoutes(deps), webhookRoutes(deps), notificationRoutes(deps)],
  consumers: withWebhooks(consumers),
  jobs,
  close: async (deps) => {
    // The kit closes the queues of the jobs it ran; with the workers off, these are still open.
    await Promise.all([deps.emails.close(), deps.digestQueue.close(), deps.webhooks.deliveries.close(), deps.webhooks.retention.close()]);
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
