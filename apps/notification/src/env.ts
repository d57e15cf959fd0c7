import { fragments, serviceEnv, z } from "@lodge/config";
import { serviceNamed } from "@lodge/services";

/** Unset, or set to nothing (`NAME=` in .env): either way not configured. */
const unsetOrEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const origin = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));

export const notificationEnv = serviceEnv
  .extend({
    PORT: z.coerce.number().int().default(serviceNamed("notification").port),
    /** The frontend's public origin: links in emails and in the inbox start with it. */
    APP_URL: origin.default("http://localhost:3000"),
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
    /** Email sends at once, per instance. */
    NOTIFICATION_EMAIL_CONCURRENCY: z.coerce.number().int().positive().default(4),
    /** Web Push: the VAPID key pair (base64url, `bun run --cwd apps/notification vapid:keys` prints a new one); unset, web push deliveries are skipped (`not_configured`). */
    VAPID_PUBLIC_KEY: unsetOrEmpty(z.string().regex(/^[A-Za-z0-9_-]{87}$/, "a base64url P-256 public key (87 characters)")),
    VAPID_PRIVATE_KEY: unsetOrEmpty(z.string().regex(/^[A-Za-z0-9_-]{43}$/, "a base64url P-256 private key (43 characters)")),
    /** Web Push: who push services contact about this sender, `mailto:ops@example.com` or an https URL. */
    VAPID_SUBJECT: unsetOrEmpty(z.string().regex(/^(mailto:.+@.+|https:\/\/.+)$/, "mailto:address or https URL")),
    /** Web Push: endpoint hosts allowed although they resolve to private addresses (a test's local push service); empty in production. */
    WEB_PUSH_ALLOWED_HOSTS: fragments.list(),
    /** FCM: the Firebase service account's JSON key (as downloaded; `project_id`, `client_email`, `private_key`); unset, FCM deliveries are skipped (`not_configured`). */
    FCM_SERVICE_ACCOUNT: unsetOrEmpty(z.string()),
    /** FCM: the HTTP v1 API's origin (a test's local FCM). */
    FCM_API_URL: origin.default("https://fcm.googleapis.com"),
    /** FCM: where the service account's signed JWT is exchanged for an access token, when not Google's (a test's local token endpoint). */
    FCM_TOKEN_URL: unsetOrEmpty(z.url({ protocol: /^https?$/ })),
    /** Telegram: the bot's token from @BotFather (the bot service's bot); unset, Telegram deliveries are skipped (`not_configured`). */
    TELEGRAM_BOT_TOKEN: unsetOrEmpty(z.string().regex(/^\d+:[\w-]+$/, "a bot token (123456:ABC...)")),
    /** Telegram: the Bot API's origin (a test's telegram-test-api, or a local Bot API server). */
    TELEGRAM_API_ROOT: origin.default("https://api.telegram.org"),
    /** Sends at once per instance on each of web push, FCM and Telegram. */
    NOTIFICATION_PUSH_CONCURRENCY: z.coerce.number().int().positive().default(8),
    /** How soon a send whose worker died (killed mid-send) is taken over by another worker, in ms. */
    NOTIFICATION_STALLED_AFTER_MS: z.coerce.number().int().min(500).default(30_000),
  })
  .superRefine((env, ctx) => {
    // Logged emails carry reset links: fine on a laptop, never on a server.
    if (env.NODE_ENV === "production" && !env.SMTP_URL) ctx.addIssue({ code: "custom", path: ["SMTP_URL"], message: "is required in production" });
    // Half a VAPID configuration is a mistake, not a choice.
    const vapid = [env.VAPID_PUBLIC_KEY, env.VAPID_PRIVATE_KEY, env.VAPID_SUBJECT].filter(Boolean).length;
    if (vapid !== 0 && vapid !== 3)
      ctx.addIssue({ code: "custom", path: ["VAPID_PUBLIC_KEY"], message: "VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT go together" });
    if (env.FCM_SERVICE_ACCOUNT && !serviceAccountOf(env.FCM_SERVICE_ACCOUNT))
      ctx.addIssue({ code: "custom", path: ["FCM_SERVICE_ACCOUNT"], message: "is not a service account JSON key (project_id, client_email, private_key)" });
  });

export type NotificationEnv = z.infer<typeof notificationEnv>;

const ServiceAccount = z.object({ project_id: z.string().min(1), client_email: z.email(), private_key: z.string().includes("PRIVATE KEY") });
export type ServiceAccount = z.infer<typeof ServiceAccount>;

/** The fields of a service account JSON key FCM needs, or undefined when it is not one. */
export function serviceAccountOf(json: string): ServiceAccount | undefined {
  try {
    return ServiceAccount.parse(JSON.parse(json));
  } catch {
    return undefined;
  }
}
