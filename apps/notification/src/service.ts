import { notificationOutbox } from "@lodge/db/schema";
import { Counter, defineService, type StartOptions, startService } from "@lodge/kit";
import { notificationConfigFromEnv } from "./config";
import type { NotificationDeps } from "./deps";
import { type NotificationEnv, notificationEnv } from "./env";
import { consumers } from "./events/index";
import { createMailer, type Mailer } from "./helpers/mailer";
import { createEmailQueue, jobs } from "./jobs/index";
import { createTriggerQueue } from "./jobs/triggers";
import { notificationRoutes } from "./routes/notifications/index";
import { reminderRoutes } from "./routes/reminders/index";
import { sendRoutes } from "./routes/send/index";

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
    emails: createEmailQueue(base.jobsConnection),
    triggers: createTriggerQueue(base.jobsConnection),
    config: notificationConfigFromEnv(options.env),
    sends: new Counter({
      name: "notification_sends_total",
      help: "Deliveries by channel and outcome: sent, retry (an attempt failed and will be retried), failed (for good), skipped (no address)",
      labelNames: ["channel", "outcome"] as const,
      registers: [base.metrics.registry],
    }),
  }),
  // Before the inbox's: /notifications/{id} would take /notifications/reminders.
  routes: (deps) => [sendRoutes(deps), reminderRoutes(deps), notificationRoutes(deps)],
  consumers,
  jobs,
  close: async (deps) => {
    // The kit closes the queues of the jobs it ran; with the workers off, this one is still open.
    await deps.emails.close();
    await deps.triggers.close();
    deps.mailer.close();
  },
});

/** Builds every dependency once, starts the consumers and the email worker, and returns the app, its deps and a close(). */
export const startNotificationService = (options: NotificationServiceOptions) => startService(notificationService, options);
