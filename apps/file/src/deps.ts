import type { Logger, ServiceBase } from "@lodge/kit";
import type { JWTVerifyGetKey } from "jose";
import type { FileConfig } from "./config";
import type { FileCaches } from "./services/caches";
import type { RenderGate } from "./services/render-gate";
import type { Storage } from "./storage/index";

/** The foundation's shared parts (`ServiceBase`) plus this service's own; built once at boot (main.ts, the dev server, or a test) and passed to createApp. */
export type FileDeps = ServiceBase & {
  /** Namespace of this deployment's Redis keys (REDIS_PREFIX). */
  redisPrefix: string;
  storage: Storage;
  caches: FileCaches;
  /** Bounds concurrent variant renderings (and shares the ones in flight). */
  renders: RenderGate;
  /** The auth service's public keys (its JWKS). */
  keys: JWTVerifyGetKey;
  /** Queues the first thumbnails of a new image (absent when the worker is off). */
  enqueueProcessing?: (fileId: string) => Promise<void>;
  config: FileConfig;
};

/** What a service function gets: the deps plus who is asking. */
export type Ctx = { deps: FileDeps; requestId?: string; logger: Logger };
