import type { Db } from "@lodge/db";
import type { EventBus, Outbox } from "@lodge/events";
import type { Logger, Metrics, RevocationList } from "@lodge/kit";
import type { Redis } from "ioredis";
import type { JWTVerifyGetKey } from "jose";
import type { FileConfig } from "./config";
import type { FileCaches } from "./services/caches";
import type { Storage } from "./storage/index";

/** Built once at boot (main.ts, the dev server, or a test) and passed to createApp. */
export type FileDeps = {
  db: Db;
  redis: Redis;
  /** Namespace of this deployment's Redis keys (REDIS_PREFIX). */
  redisPrefix: string;
  bus: EventBus;
  outbox: Outbox;
  storage: Storage;
  caches: FileCaches;
  /** The auth service's public keys (its JWKS), and the sessions it revoked. */
  keys: JWTVerifyGetKey;
  revocations: RevocationList;
  /** Queues the first thumbnails of a new image (absent when the worker is off). */
  enqueueProcessing?: (fileId: string) => Promise<void>;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  config: FileConfig;
  checks: Record<string, () => Promise<unknown>>;
  trustedProxies: string[];
  bodyLimitBytes: number;
  isDraining: () => boolean;
};

/** What a service function gets: the deps plus who is asking. */
export type Ctx = { deps: FileDeps; requestId?: string; logger: Logger };
