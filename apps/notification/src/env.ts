import { fragments, serviceEnv, z } from "@lodge/config";
import { localUrlOf, serviceNamed } from "@lodge/services";

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));
const defaultClientId = serviceNamed("notification").client?.id ?? "notification-service";

/** Outbound webhooks (see services/webhooks). */
const webhookEnv = {
  /** Hosts (names or IPs, comma-separated) webhooks may reach although they are private or loopback (an internal receiver, a test's). */
  WEBHOOK_ALLOWED_HOSTS: fragments.list(),
  /** How long one delivery attempt may take, connect to last byte read. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().max(60_000).default(10_000),
  /** How much of a receiver's answer is read and kept in the delivery log; the rest is not read. */
  WEBHOOK_RESPONSE_MAX_BYTES: z.coerce.number().int().nonnegative().max(65_536).default(2048),
  /** Attempts per delivery; with the delay below, 13 spreads them over about 23 hours. */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(13),
  /** The first retry's delay; each next one waits twice as long. */
  WEBHOOK_RETRY_DELAY_MS: z.coerce.number().int().positive().default(20_000),
  /** An endpoint whose deliveries have failed without a success for this many days is disabled. */
  WEBHOOK_DISABLE_AFTER_DAYS: z.coerce.number().positive().default(5),
  /** After a secret rotation, deliveries are signed with the old secret too for this many hours. */
  WEBHOOK_ROTATION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 7)
    .default(24),
  /** Delivery rows (their bodies may carry user data) are deleted this many days after they were made. */
  WEBHOOK_DELIVERY_RETENTION_DAYS: z.coerce.number().positive().default(14),
  /** Webhook requests each instance makes at once. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /** Endpoints that can be registered. */
  WEBHOOK_MAX_ENDPOINTS: z.coerce.number().int().positive().default(100),
};

export const notificationEnv = serviceEnv
  .extend({
    PORT: z.coerce.number().int().default(serviceNamed("notification").port),
    /** Where the auth service answers (this service's client token); internal, not the public origin. */
    AUTH_URL: baseUrl.default(localUrlOf("auth")),
    /** Where the user service answers (a user's notification settings on a miss). */
    USER_URL: baseUrl.default(localUrlOf("user")),
    /** This service's machine client at auth (AUTH_CLIENTS there; its scope, users:settings, is in @lodge/services). */
    NOTIFICATION_CLIENT_ID: z.string().min(1).max(128).default(defaultClientId),
    /** Its secret; unset, settings come from the user service's events only (required in production). */
    NOTIFICATION_CLIENT_SECRET: z.string().min(24).optional(),
    /** The frontend's public origin: links in emails and in the inbox start with it. */
    APP_URL: baseUrl.default("http://localhost:3000"),
    /** Appended to APP_URL, then the token: where the frontend verifies an email address. */
    NOTIFICATION_VERIFY_PATH: z.string().startsWith("/").default("/verify-email?token="),
    /** Appended to APP_URL, then the token: where the frontend sets a new password. */
    NOTIFICATION_RESET_PATH: z.string().startsWith("/").default("/reset-password?token="),
    /** Appended to APP_URL: where the frontend lists sessions and security settings (linked from security notices). */
    NOTIFICATION_SECURITY_PATH: z.string().startsWith("/").default("/settings/security"),
    /** `smtp://user:pass@host:587` or `smtps://...` (nodemailer's URL form); unset, emails are written to the log instead. */
    SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
    /** The From of every email (`Lodge <no-reply@example.com>`); its domain is also the Message-ID's. */
    MAIL_FROM: z.string().min(3).default("Lodge <no-reply@localhost>"),
    /** The local time (`HH:MM`, the user's time zone) daily and weekly (Monday) digests go out. */
    NOTIFICATION_DIGEST_TIME: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24-hour)")
      .default("09:00"),
    /** How often held deliveries are released (quiet hours over, digests due) and lost jobs re-queued. */
    NOTIFICATION_SWEEP_EVERY_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    /** Email sends at once, per instance. */
    NOTIFICATION_EMAIL_CONCURRENCY: z.coerce.number().int().positive().default(4),
    ...webhookEnv,
  })
  .superRefine((env, ctx) => {
    // Logged emails carry reset links: fine on a laptop, never on a server.
    if (env.NODE_ENV === "production" && !env.SMTP_URL) ctx.addIssue({ code: "custom", path: ["SMTP_URL"], message: "is required in production" });
    if (env.NODE_ENV === "production" && !env.NOTIFICATION_CLIENT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["NOTIFICATION_CLIENT_SECRET"], message: "is required in production" });
    }
  });

export type NotificationEnv = z.infer<typeof notificationEnv>;
