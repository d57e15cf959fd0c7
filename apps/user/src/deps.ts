import type { Db } from "@lodge/db";
import type { EventBus, Outbox } from "@lodge/events";
import type { Logger, Metrics, RevocationList } from "@lodge/kit";
import type { Redis } from "ioredis";
import type { JWTVerifyGetKey } from "jose";
import type { UserConfig } from "./config";
import type { ServiceClient } from "./service-client";

/** Built once at boot (main.ts, the dev server, or a test) and passed to createApp. */
export type UserDeps = {
  db: Db;
  redis: Redis;
  bus: EventBus;
  outbox: Outbox;
  /** auth's public keys (its JWKS), for the kit's guard. */
  keys: JWTVerifyGetKey;
  revocations: RevocationList;
  /** Calls to auth and file with this service's client token. */
  remote: ServiceClient;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  config: UserConfig;
  checks: Record<string, () => Promise<unknown>>;
  trustedProxies: string[];
  bodyLimitBytes: number;
  isDraining: () => boolean;
};

/** What a service function gets: the deps plus who is asking. */
export type Ctx = { deps: UserDeps; requestId?: string; logger: Logger };
