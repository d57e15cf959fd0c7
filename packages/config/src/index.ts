import { localUrlOf } from "@lodge/services";
import { z } from "zod";

export { z };

/**
 * Parses the environment once at boot. On failure it throws an EnvError naming every
 * missing or invalid variable (never its value: values may be secrets).
 */
export function parseEnv<T extends z.ZodType>(schema: T, source: Record<string, string | undefined> = process.env): z.infer<T> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const missing = issue.code === "invalid_type" && source[name] === undefined;
    return `  ${name}: ${missing ? "is required but not set" : issue.message}`;
  });
  throw new EnvError(`Invalid environment:\n${lines.join("\n")}`);
}

export class EnvError extends Error {
  override name = "EnvError";
}

/** For main.ts: parse or print the problem and exit, no stack trace. */
export function loadEnv<T extends z.ZodType>(schema: T): z.infer<T> {
  try {
    return parseEnv(schema);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/** A comma-separated list. */
const list = (fallback = "") =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    );

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .default("false")
  .transform((value) => value === "true" || value === "1");

/** An optional setting, unset or set to nothing (`NAME=` in .env): either way not configured. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

export const fragments = { list, bool, optional };

export const httpEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Origins allowed to call with credentials (the Vercel frontend). */
  CORS_ORIGINS: list(),
  /** Peers whose X-Forwarded-For is believed (Caddy). IPs or CIDRs. */
  TRUSTED_PROXIES: list("127.0.0.1,::1"),
  /** Per-IP rate limits count an IPv6 client by this network prefix (a subscriber usually gets a whole /64). */
  RATE_LIMIT_IPV6_PREFIX: z.coerce.number().int().min(32).max(128).default(64),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
});

export const databaseEnv = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(10),
});

export const redisEnv = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  /** Namespace for every Redis key Lodge writes (streams, rate limits, caches). */
  REDIS_PREFIX: z.string().default("lodge:"),
  /** A Redis command with no reply after this long fails with a 503 (a half-open connection is then reopened). */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  /**
   * How far behind the revoked-session watch may fall before user tokens are no longer taken on
   * its word (503, or a session lookup in auth), and how long older tokens wait after it catches up.
   */
  REVOCATION_MAX_LAG_MS: z.coerce.number().int().positive().default(5000),
});

export const jwtEnv = z.object({
  JWT_ISSUER: z.string().default("lodge"),
  JWT_AUDIENCE: z.string().default("lodge"),
  /** Where services fetch the auth service's public keys. */
  JWKS_URL: z.url().default(`${localUrlOf("auth")}/.well-known/jwks.json`),
});

/** What every Lodge service reads: HTTP, Postgres, Redis and token verification; a service extends it with its own. */
export const serviceEnv = httpEnv.extend(databaseEnv.shape).extend(redisEnv.shape).extend(jwtEnv.shape);
