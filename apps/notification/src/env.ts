import { serviceEnv, z } from "@lodge/config";
import { serviceNamed } from "@lodge/services";

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
    /** POST /notifications/send requests per caller (service client or admin) per minute. */
    NOTIFICATION_SEND_PER_MINUTE: z.coerce.number().int().positive().default(120),
    /** Reminders a user may have at once. */
    NOTIFICATION_REMINDERS_PER_USER: z.coerce.number().int().positive().default(100),
    /** How often the sweep fires scheduled sends and reminders whose job was lost, and re-queues those due soon. */
    NOTIFICATION_TRIGGER_SWEEP_SECONDS: z.coerce.number().int().positive().default(60),
  })
  .superRefine((env, ctx) => {
    // Logged emails carry reset links: fine on a laptop, never on a server.
    if (env.NODE_ENV === "production" && !env.SMTP_URL) ctx.addIssue({ code: "custom", path: ["SMTP_URL"], message: "is required in production" });
  });

export type NotificationEnv = z.infer<typeof notificationEnv>;
