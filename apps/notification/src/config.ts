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
    digestTime: env.NOTIFICATION_DIGEST_TIME,
    sweepEveryMs: env.NOTIFICATION_SWEEP_EVERY_SECONDS * 1000,
    realtime: {
      maxPerUser: env.NOTIFICATION_WS_MAX_PER_USER,
      maxBufferedBytes: env.NOTIFICATION_WS_MAX_BUFFERED_BYTES,
      flood: { max: env.NOTIFICATION_WS_MESSAGES_PER_10S, windowMs: 10_000 },
      /** Tickets per user: a page opening sockets in a loop is stopped here. */
      ticketLimit: { max: 30, windowSeconds: 60 },
    },
  };
}

export type NotificationConfig = ReturnType<typeof notificationConfigFromEnv>;
