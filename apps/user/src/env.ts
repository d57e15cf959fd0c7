import { serviceEnv, z } from "@lodge/config";
import { localUrlOf, serviceNamed } from "@lodge/services";

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));

export const userEnv = serviceEnv.extend({
  PORT: z.coerce.number().int().default(serviceNamed("user").port),
  /** Where the auth service answers (client tokens, password check, export); internal, not the public origin. */
  AUTH_URL: baseUrl.default(localUrlOf("auth")),
  /** Where the file service answers (making an avatar public, export). */
  FILE_URL: baseUrl.default(localUrlOf("file")),
  /** Where the notification service answers (export). */
  NOTIFICATION_URL: baseUrl.default(localUrlOf("notification")),
  /** Where the AI service answers (export). */
  AI_URL: baseUrl.default(localUrlOf("ai")),
  /** Where the analytics service answers (export). */
  ANALYTICS_URL: baseUrl.default(localUrlOf("analytics")),
  BOT_URL: baseUrl.default(localUrlOf("bot")),
  /** The public origin avatar URLs are built on (what browsers load `/files/...` from). */
  PUBLIC_BASE_URL: baseUrl.default("http://localhost:8080"),
  /** This service's machine client at auth (AUTH_CLIENTS there; its scopes are in @lodge/services). */
  USER_CLIENT_ID: z.string().min(1).max(128),
  USER_CLIENT_SECRET: z.string().min(24),
});

export type UserEnv = z.infer<typeof userEnv>;
