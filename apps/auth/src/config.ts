import { ACCESS_TOKEN_TTL_SECONDS, type Backoff, type Limit } from "@lodge/kit";
import type { AuthEnv } from "./env";

/** What the auth service's code needs from the environment, in its own words. */
export type AuthConfig = {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** A spent refresh token presented again within this window (concurrent tabs) is not treated as theft. */
  refreshGraceSeconds: number;
  /** A new signing key is published this long before it signs, so every verifier can fetch it first. */
  keyPublishDelaySeconds: number;
  passwordResetTtlSeconds: number;
  emailVerificationTtlSeconds: number;
  cookie: { secure: boolean; sameSite: "Strict" | "Lax" | "None" };
  /** Seals the private signing keys stored in Postgres. */
  keyEncryptionSecret: string;
  corsOrigins: string[];
  clients: { clientId: string; secret: string; scopes: string[] }[];
  limits: {
    loginPerIpEmail: Limit;
    loginPerIp: Limit;
    /** Per account, whatever the IP: after the free attempts each one waits twice as long as the last (capped). */
    loginPerAccount: Backoff;
    /** A network the account logged in from is exempt from loginPerAccount this long, so strangers cannot keep its owner waiting. */
    loginKnownNetworkSeconds: number;
    registerPerIp: Limit;
    forgotPerEmail: Limit;
    forgotPerIp: Limit;
    verificationPerUser: Limit;
    tokenPerClient: Limit;
  };
};

export function authConfigFromEnv(env: AuthEnv): AuthConfig {
  return {
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    accessTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: env.REFRESH_TOKEN_TTL_DAYS * 24 * 3600,
    refreshGraceSeconds: 10,
    keyPublishDelaySeconds: 30,
    passwordResetTtlSeconds: 3600,
    emailVerificationTtlSeconds: 24 * 3600,
    cookie: { secure: env.AUTH_COOKIE_SECURE === "true", sameSite: env.AUTH_COOKIE_SAMESITE },
    keyEncryptionSecret: env.AUTH_KEY_ENCRYPTION_SECRET ?? "lodge-development-key-encryption-secret-not-for-production",
    corsOrigins: env.CORS_ORIGINS,
    clients: env.AUTH_CLIENTS,
    limits: {
      loginPerIpEmail: { max: env.RATE_LIMIT_LOGIN_PER_IP_EMAIL, windowSeconds: 15 * 60 },
      loginPerIp: { max: env.RATE_LIMIT_LOGIN_PER_IP, windowSeconds: 15 * 60 },
      loginPerAccount: { free: env.RATE_LIMIT_LOGIN_PER_ACCOUNT, baseSeconds: 1, maxSeconds: 15 * 60, resetSeconds: 24 * 3600 },
      loginKnownNetworkSeconds: 30 * 24 * 3600,
      registerPerIp: { max: env.RATE_LIMIT_REGISTER_PER_IP, windowSeconds: 3600 },
      forgotPerEmail: { max: env.RATE_LIMIT_FORGOT_PER_EMAIL, windowSeconds: 3600 },
      forgotPerIp: { max: 30, windowSeconds: 3600 },
      verificationPerUser: { max: 5, windowSeconds: 3600 },
      tokenPerClient: { max: 600, windowSeconds: 60 },
    },
  };
}
