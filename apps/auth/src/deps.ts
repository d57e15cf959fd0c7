import type { Db } from "@lodge/db";
import type { EventBus, Outbox } from "@lodge/events";
import type { Logger, Metrics, RateLimiter, RevocationList } from "@lodge/kit";
import type { Redis } from "ioredis";
import type { AuthConfig } from "./config";
import type { KeyStore } from "./services/keys";

/** Built once at boot (main.ts, the dev server, or a test) and passed to createApp. */
export type AuthDeps = {
  db: Db;
  redis: Redis;
  bus: EventBus;
  outbox: Outbox;
  keys: KeyStore;
  limiter: RateLimiter;
  revocations: RevocationList;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  config: AuthConfig;
  checks: Record<string, () => Promise<unknown>>;
  trustedProxies: string[];
  bodyLimitBytes: number;
  isDraining: () => boolean;
};

/** What a service function gets: the deps plus who is asking. */
export type Ctx = { deps: AuthDeps; requestId?: string; ip?: string; userAgent?: string; logger: Logger };
