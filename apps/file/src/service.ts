import type { Database } from "@lodge/db";
import { fileOutbox } from "@lodge/db/schema";
import { registerQueueMetrics } from "@lodge/jobs";
import { type Logger, openFoundation, type Redis, remoteKeys } from "@lodge/kit";
import type { Queue } from "bullmq";
import { createFileApp } from "./app";
import { fileConfigFromEnv } from "./config";
import type { FileDeps } from "./deps";
import type { FileEnv } from "./env";
import { consumeEvents } from "./events/index";
import { startUploadCleanup } from "./jobs/cleanup";
import { startProcessing } from "./jobs/processing";
import { createCaches } from "./services/caches";
import { createRenderGate } from "./services/render-gate";
import { configureRendering } from "./services/variants";
import { createStorage, type Storage } from "./storage/index";

export type FileServiceOptions = {
  env: FileEnv;
  /** Shared with other services in the dev server; otherwise opened from DATABASE_URL. */
  database?: Database;
  redis?: Redis;
  logger?: Logger;
  clock?: () => Date;
  /** Instead of the one FILE_STORAGE_* describes. */
  storage?: Storage;
  /** Run the thumbnail worker and the upload cleanup scheduler (off in tests that drive them by hand). */
  jobs?: boolean;
};

export function storageFromEnv(env: FileEnv): Promise<Storage> {
  return env.FILE_STORAGE_DRIVER === "local"
    ? createStorage({ driver: "local", directory: env.FILE_STORAGE_DIR })
    : createStorage({
        driver: "s3",
        endpoint: env.FILE_S3_ENDPOINT as string,
        bucket: env.FILE_S3_BUCKET as string,
        region: env.FILE_S3_REGION,
        accessKeyId: env.FILE_S3_ACCESS_KEY_ID as string,
        secretAccessKey: env.FILE_S3_SECRET_ACCESS_KEY as string,
        virtualHostedStyle: env.FILE_S3_VIRTUAL_HOSTED_STYLE,
      });
}

/** Builds every dependency once, starts the background parts, and returns the app and a close(). */
export async function startFileService(options: FileServiceOptions) {
  const { env } = options;
  const config = fileConfigFromEnv(env);
  const storage = options.storage ?? (await storageFromEnv(env));
  const base = await openFoundation({ ...options, service: "file", outboxTable: fileOutbox });
  configureRendering();

  const deps: FileDeps = {
    ...base,
    storage,
    caches: createCaches({ metadataMs: config.metadataCacheMs, variantBytes: config.variantCacheBytes }),
    renders: createRenderGate({ concurrency: config.renders.concurrency, queue: config.renders.queue, metrics: base.metrics }),
    keys: remoteKeys(config.jwt.jwksUrl),
    config,
    checks: { ...base.checks, storage: () => storage.check() },
  };
  const processing = options.jobs === false ? undefined : startProcessing(deps, env.REDIS_PREFIX);
  const cleanup = options.jobs === false ? undefined : await startUploadCleanup(deps, env.REDIS_PREFIX);
  if (processing) deps.enqueueProcessing = processing.enqueue;
  registerQueueMetrics(base.metrics.registry, [processing?.queue, cleanup?.queue].filter(Boolean) as Queue[]);
  const consumer = consumeEvents(deps);

  const app = createFileApp(deps);
  return {
    app,
    deps,
    lifecycle: base.lifecycle,
    /** Stops background work, then closes what this service opened (not what it was given). */
    close: async () => {
      await consumer.stop();
      await processing?.close();
      await cleanup?.close();
      await base.close();
    },
  };
}
