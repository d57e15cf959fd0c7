import { serviceEnv, z } from "@lodge/config";
import { localUrlOf, serviceNamed } from "@lodge/services";

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));
const defaultClientId = serviceNamed("notification").client?.id ?? "notification-service";

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
  });

export type NotificationEnv = z.infer<typeof notificationEnv>;
