import type { NotificationEnv } from "./env";

/** The settings the service's code reads, from its env. */
export function notificationConfigFromEnv(env: NotificationEnv) {
  return {
    /** Where each link to the frontend points: APP_URL + path (+ the token). */
    links: {
      verifyEmail: (token: string) => `${env.APP_URL}${env.NOTIFICATION_VERIFY_PATH}${encodeURIComponent(token)}`,
      resetPassword: (token: string) => `${env.APP_URL}${env.NOTIFICATION_RESET_PATH}${encodeURIComponent(token)}`,
      security: `${env.APP_URL}${env.NOTIFICATION_SECURITY_PATH}`,
    },
    mailFrom: env.MAIL_FROM,
    emailConcurrency: env.NOTIFICATION_EMAIL_CONCURRENCY,
    sendsPerMinute: env.NOTIFICATION_SEND_PER_MINUTE,
    remindersPerUser: env.NOTIFICATION_REMINDERS_PER_USER,
    triggerSweepMs: env.NOTIFICATION_TRIGGER_SWEEP_SECONDS * 1000,
  };
}

export type NotificationConfig = ReturnType<typeof notificationConfigFromEnv>;
