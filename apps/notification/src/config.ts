import type { NotificationEnv } from "./env";

/** The settings the service's code reads, from its env. */
export function notificationConfigFromEnv(env: NotificationEnv) {
  return {
    /** Where each link to the frontend points: APP_URL + path (+ the token). */
    links: {
      verifyEmail: (token: string) => `${env.APP_URL}${env.NOTIFICATION_VERIFY_PATH}${encodeURIComponent(token)}`,
      resetPassword: (token: string) => `${env.APP_URL}${env.NOTIFICATION_RESET_PATH}${encodeURIComponent(token)}`,
      security: `${env.APP_URL}${env.NOTIFICATION_SECURITY_PATH}`,
      inbox: `${env.APP_URL}${env.NOTIFICATION_INBOX_PATH}`,
      aiJob: (jobId: string) => `${env.APP_URL}${env.NOTIFICATION_AI_JOB_PATH}${encodeURIComponent(jobId)}`,
    },
    /** One-click unsubscribe links (List-Unsubscribe): the API's public origin and the links' HMAC key. */
    unsubscribe: {
      publicUrl: env.NOTIFICATION_PUBLIC_URL,
      secret: env.NOTIFICATION_UNSUBSCRIBE_SECRET,
      perIp: { max: env.NOTIFICATION_UNSUBSCRIBE_PER_MINUTE, windowSeconds: 60 },
    },
    mailFrom: env.MAIL_FROM,
    emailConcurrency: env.NOTIFICATION_EMAIL_CONCURRENCY,
    digestTime: env.NOTIFICATION_DIGEST_TIME,
    sweepEveryMs: env.NOTIFICATION_SWEEP_EVERY_SECONDS * 1000,
    pushConcurrency: env.NOTIFICATION_PUSH_CONCURRENCY,
    stalledAfterMs: env.NOTIFICATION_STALLED_AFTER_MS,
    /** Each channel's credentials, or undefined: that channel's deliveries are skipped (`not_configured`). */
    webPush:
      env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY && env.VAPID_SUBJECT
        ? { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY, subject: env.VAPID_SUBJECT }
        : undefined,
    fcm: env.FCM_SERVICE_ACCOUNT ? { serviceAccount: env.FCM_SERVICE_ACCOUNT, apiUrl: env.FCM_API_URL, tokenUrl: env.FCM_TOKEN_URL } : undefined,
    telegram: env.TELEGRAM_BOT_TOKEN ? { botToken: env.TELEGRAM_BOT_TOKEN, apiRoot: env.TELEGRAM_API_ROOT } : undefined,
    /** Allowed web push endpoint hosts even when private (registration checks them too). */
    webPushAllowedHosts: env.WEB_PUSH_ALLOWED_HOSTS,
    sendsPerMinute: env.NOTIFICATION_SEND_PER_MINUTE,
    remindersPerUser: env.NOTIFICATION_REMINDERS_PER_USER,
    triggerSweepMs: env.NOTIFICATION_TRIGGER_SWEEP_SECONDS * 1000,
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
