import { fragments, serviceEnv, z } from "@lodge/config";
import { localUrlOf, serviceNamed } from "@lodge/services";

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));
const defaultClientId = serviceNamed("notification").client?.id ?? "notification-service";
/** Signs unsubscribe links in development and tests only: production refuses to start without its own. */
const DEV_UNSUBSCRIBE_SECRET = "lodge-development-unsubscribe-secret-not-for-production";

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
    /** Appended to APP_URL: the frontend's inbox (linked from digests). */
    NOTIFICATION_INBOX_PATH: z.string().startsWith("/").default("/notifications"),
    /** Appended to APP_URL, then the job's id: where the frontend shows an async AI job (linked when one that ran long ends). */
    NOTIFICATION_AI_JOB_PATH: z.string().startsWith("/").default("/ai/jobs/"),
    /** The API's public origin (what the internet reaches Caddy at): one-click unsubscribe links in emails start with it. */
    NOTIFICATION_PUBLIC_URL: baseUrl.default("http://localhost:8080"),
    /** HMAC key of unsubscribe links (32+ characters); rotating it voids the links in emails already sent. */
    NOTIFICATION_UNSUBSCRIBE_SECRET: fragments.optional(z.string().min(32)),
    /** Requests to the unsubscribe link (GET and POST) per client IP per minute. */
    NOTIFICATION_UNSUBSCRIBE_PER_MINUTE: z.coerce.number().int().positive().default(30),
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
    /** Web Push: the VAPID key pair (base64url, `bun run --cwd apps/notification vapid:keys` prints a new one); unset, web push deliveries are skipped (`not_configured`). */
    VAPID_PUBLIC_KEY: fragments.optional(z.string().regex(/^[A-Za-z0-9_-]{87}$/, "a base64url P-256 public key (87 characters)")),
    VAPID_PRIVATE_KEY: fragments.optional(z.string().regex(/^[A-Za-z0-9_-]{43}$/, "a base64url P-256 private key (43 characters)")),
    /** Web Push: who push services contact about this sender, `mailto:ops@example.com` or an https URL. */
    VAPID_SUBJECT: fragments.optional(z.string().regex(/^(mailto:.+@.+|https:\/\/.+)$/, "mailto:address or https URL")),
    /** Web Push: endpoint hosts allowed although they resolve to private addresses (a test's local push service); empty in production. */
    WEB_PUSH_ALLOWED_HOSTS: fragments.list(),
    /** FCM: the Firebase service account's JSON key (as downloaded; `project_id`, `client_email`, `private_key`), parsed here once; unset, FCM deliveries are skipped (`not_configured`). */
    FCM_SERVICE_ACCOUNT: fragments.optional(
      z.string().transform((json, ctx) => {
        const account = serviceAccountOf(json);
        if (!account) ctx.addIssue({ code: "custom", message: "is not a service account JSON key (project_id, client_email, private_key)" });
        return account ?? z.NEVER;
      }),
    ),
    /** FCM: the HTTP v1 API's origin (a test's local FCM). */
    FCM_API_URL: baseUrl.default("https://fcm.googleapis.com"),
    /** FCM: where the service account's signed JWT is exchanged for an access token, when not Google's (a test's local token endpoint). */
    FCM_TOKEN_URL: fragments.optional(z.url({ protocol: /^https?$/ })),
    /** Telegram: the bot's token from @BotFather (the bot service's bot); unset, Telegram deliveries are skipped (`not_configured`). */
    TELEGRAM_BOT_TOKEN: fragments.optional(z.string().regex(/^\d+:[\w-]+$/, "a bot token (123456:ABC...)")),
    /** Telegram: the Bot API's origin (a test's telegram-test-api, or a local Bot API server). */
    TELEGRAM_API_ROOT: baseUrl.default("https://api.telegram.org"),
    /** Sends at once per instance on each of web push, FCM and Telegram. */
    NOTIFICATION_PUSH_CONCURRENCY: z.coerce.number().int().positive().default(8),
    /** How soon a send whose worker died (killed mid-send) is taken over by another worker, in ms. */
    NOTIFICATION_STALLED_AFTER_MS: z.coerce.number().int().min(500).default(30_000),
    ...webhookEnv,
    /** POST /notifications/send requests per caller (service client or admin) per minute. */
    NOTIFICATION_SEND_PER_MINUTE: z.coerce.number().int().positive().default(120),
    /** Reminders a user may have at once. */
    NOTIFICATION_REMINDERS_PER_USER: z.coerce.number().int().positive().default(100),
    /** How often the sweep fires scheduled sends and reminders whose job was lost, and re-queues those due soon. */
    NOTIFICATION_TRIGGER_SWEEP_SECONDS: z.coerce.number().int().positive().default(60),
    /** Realtime sockets one user may hold open on one instance; one more is closed with 1008. */
    NOTIFICATION_WS_MAX_PER_USER: z.coerce.number().int().positive().default(10),
    /** Seconds a realtime socket may stay silent (Bun pings it meanwhile; a live client's pong counts) before it is closed as dead. */
    NOTIFICATION_WS_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(960).default(60),
    /** Largest message a client may send, in bytes (larger closes the socket with 1009). */
    NOTIFICATION_WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(128).default(4096),
    /** Unsent bytes a socket may hold before its client counts as too slow and is closed (4408). */
    NOTIFICATION_WS_MAX_BUFFERED_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** Client messages per socket per 10 s; more closes it (4429). */
    NOTIFICATION_WS_MESSAGES_PER_10S: z.coerce.number().int().positive().default(20),
  })
  .superRefine((env, ctx) => {
    // Logged emails carry reset links: fine on a laptop, never on a server.
    if (env.NODE_ENV === "production" && !env.SMTP_URL) ctx.addIssue({ code: "custom", path: ["SMTP_URL"], message: "is required in production" });
    if (env.NODE_ENV === "production" && !env.NOTIFICATION_CLIENT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["NOTIFICATION_CLIENT_SECRET"], message: "is required in production" });
    }
    if (env.NODE_ENV === "production" && !env.NOTIFICATION_UNSUBSCRIBE_SECRET) {
      ctx.addIssue({ code: "custom", path: ["NOTIFICATION_UNSUBSCRIBE_SECRET"], message: "is required in production (32+ characters)" });
    }
    // Half a VAPID configuration is a mistake, not a choice.
    const vapid = [env.VAPID_PUBLIC_KEY, env.VAPID_PRIVATE_KEY, env.VAPID_SUBJECT].filter(Boolean).length;
    if (vapid !== 0 && vapid !== 3)
      ctx.addIssue({ code: "custom", path: ["VAPID_PUBLIC_KEY"], message: "VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT go together" });
  })
  .transform((env) => ({ ...env, NOTIFICATION_UNSUBSCRIBE_SECRET: env.NOTIFICATION_UNSUBSCRIBE_SECRET ?? DEV_UNSUBSCRIBE_SECRET }));

export type NotificationEnv = z.infer<typeof notificationEnv>;

const ServiceAccount = z.object({ project_id: z.string().min(1), client_email: z.email(), private_key: z.string().includes("PRIVATE KEY") });
export type ServiceAccount = z.infer<typeof ServiceAccount>;

/** The fields of a service account JSON key FCM needs, or undefined when it is not one. */
function serviceAccountOf(json: string): ServiceAccount | undefined {
  try {
    return ServiceAccount.parse(JSON.parse(json));
  } catch {
    return undefined;
  }
}
