import { databaseEnv, httpEnv, jwtEnv, redisEnv, z } from "@lodge/config";

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));

export const userEnv = httpEnv
  .extend(databaseEnv.shape)
  .extend(redisEnv.shape)
  .extend(jwtEnv.shape)
  .extend({
    PORT: z.coerce.number().int().default(3002),
    /** Where the auth service answers (client tokens, password check, export); internal, not the public origin. */
    AUTH_URL: baseUrl.default("http://127.0.0.1:3001"),
    /** Where the file service answers (making an avatar public, export). */
    FILE_URL: baseUrl.default("http://127.0.0.1:3003"),
    /** The public origin avatar URLs are built on (what browsers load `/files/...` from). */
    PUBLIC_BASE_URL: baseUrl.default("http://localhost:8080"),
    /** This service's machine client at auth (AUTH_CLIENTS there): scopes auth:verify_password users:export files:write files:export. */
    USER_CLIENT_ID: z.string().min(1).max(128),
    USER_CLIENT_SECRET: z.string().min(24),
  });

export type UserEnv = z.infer<typeof userEnv>;
