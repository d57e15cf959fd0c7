import type { UserEnv } from "./env";

/** What the user service's code needs from the environment, in its own words. */
export type UserConfig = {
  publicBaseUrl: string;
  authUrl: string;
  fileUrl: string;
  notificationUrl: string;
  aiUrl: string;
  analyticsUrl: string;
  botUrl: string;
  client: { id: string; secret: string };
  /** DELETE /users/me without the password needs an access token issued this recently. */
  reauthWindowSeconds: number;
  /** Calls to auth, file, notification, ai and analytics give up after this long (answered 503). */
  remoteTimeoutMs: number;
};

export function userConfigFromEnv(env: UserEnv): UserConfig {
  return {
    publicBaseUrl: env.PUBLIC_BASE_URL,
    authUrl: env.AUTH_URL,
    fileUrl: env.FILE_URL,
    notificationUrl: env.NOTIFICATION_URL,
    aiUrl: env.AI_URL,
    analyticsUrl: env.ANALYTICS_URL,
    botUrl: env.BOT_URL,
    client: { id: env.USER_CLIENT_ID, secret: env.USER_CLIENT_SECRET },
    reauthWindowSeconds: 5 * 60,
    remoteTimeoutMs: 5000,
  };
}
